/**
 * Decoding the rootfs mount that containerd's Windows snapshotters hand to Create.
 *
 * The `windows` and `windows-lcow` snapshotters describe a container's storage as ONE mount: its
 * `source` is the writable scratch layer, and the option `parentLayerPaths=<JSON array>` lists the
 * read-only parents, nearest parent first (layerN … layer0). Both mount types use that order; the
 * v1.2 shim reversed it for `lcow-layer`, a bug containerd fixed (PR #2993).
 */
import { InvalidArgumentError } from "../errdefs.js";

/** A CreateTaskRequest rootfs mount, as the service converts it from the protobuf type. */
export interface RootfsMount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

/** The mount types runhcs understands: process/Hyper-V isolated Windows, and Linux (LCOW). */
export type LayerMountType = "windows-layer" | "lcow-layer";

/** The layers described by a rootfs mount. */
export interface LayerMount {
  type: LayerMountType;
  /** Parent (read-only) layers, nearest first: layerN … layer0. */
  parents: string[];
  /** The scratch (writable) layer: the mount source. */
  scratch: string;
}

/** containerd's `mount.ParentLayerPathsFlag`. */
export const PARENT_LAYER_PATHS_PREFIX = "parentLayerPaths=";

/**
 * The layers of `mounts`, or undefined when there are none (caller-managed storage).
 * Anything other than exactly one well-formed layer mount is InvalidArgument.
 */
export function parseLayerMount(mounts: readonly RootfsMount[]): LayerMount | undefined {
  if (mounts.length === 0) return undefined;
  const [mount] = mounts;
  if (mounts.length !== 1 || !mount) {
    throw new InvalidArgumentError(
      `rootfs must contain exactly 1 mount for the root file system, got ${mounts.length}`,
    );
  }
  if (mount.type !== "windows-layer" && mount.type !== "lcow-layer") {
    throw new InvalidArgumentError(`unsupported mount type '${mount.type}'`);
  }
  if (mount.source === "") {
    throw new InvalidArgumentError(`${mount.type} mount has an empty source (scratch layer)`);
  }
  return { type: mount.type, parents: parentLayerPaths(mount.options), scratch: mount.source };
}

function parentLayerPaths(options: readonly string[]): string[] {
  const found = options.filter((o) => o.startsWith(PARENT_LAYER_PATHS_PREFIX));
  if (found.length > 1)
    throw new InvalidArgumentError(`mount has ${found.length} ${PARENT_LAYER_PATHS_PREFIX} options`);
  const [option] = found;
  if (option === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(option.slice(PARENT_LAYER_PATHS_PREFIX.length));
  } catch (err: unknown) {
    throw new InvalidArgumentError(
      `failed to unmarshal parent layer paths from mount: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError("parentLayerPaths must be a JSON array of strings");
  }
  value.forEach((path: unknown, i) => {
    if (typeof path !== "string" || path === "") {
      throw new InvalidArgumentError(`parentLayerPaths[${i}] must be a non-empty string`);
    }
  });
  return value as string[];
}
