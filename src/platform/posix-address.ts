/**
 * posix {@link ShimAddress}: containerd's own naming, so containerd, `ctr` and other shims agree with us.
 *
 * containerd 1.6 `runtime/v2/shim/util_unix.go`:
 * `SocketAddress(ctx, socketPath, id)` = `unix://` + `/run/containerd/s/` + hex(sha256(filepath.Join(socketPath,
 * ns, id)))`, where `socketPath` is containerd's gRPC address (`-address`, e.g.
 * `/run/containerd/containerd.sock`). `filepath.Join` skips empty elements and cleans the result, which
 * {@link goJoin} reproduces. The listener refuses paths over {@link SOCKET_PATH_LIMIT} bytes, like
 * containerd's `serveListener` (sun_path is 108 bytes including the NUL; containerd keeps 2 spare).
 */
import { createHash } from "node:crypto";
import { join, posix, resolve } from "node:path";
import { InvalidArgumentError } from "../errdefs.js";
import { validateId } from "../ids.js";
import type { ShimAddress, ShimAddressOptions, ShimIdentity } from "./types.js";

/** containerd's `socketPathLimit`: longest socket path, in bytes. */
export const SOCKET_PATH_LIMIT = 106;
/** containerd's socket directory (`defaults.DefaultStateDir` + `/s`). */
export const DEFAULT_SOCKET_DIR = "/run/containerd/s";
const UNIX_PREFIX = "unix://";

/** Go's `filepath.Join` on posix: empty elements skipped, result cleaned, `""` when all are empty. */
export function goJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  if (parts.length === 0) return "";
  const cleaned = posix.normalize(parts.join("/"));
  return cleaned.length > 1 && cleaned.endsWith("/") ? cleaned.slice(0, -1) : cleaned;
}

/** Unix socket naming as containerd does it; `socketDir` overrides `/run/containerd/s`. */
export class PosixShimAddress implements ShimAddress {
  readonly #socketDir: string;

  constructor(options: ShimAddressOptions = {}) {
    this.#socketDir = resolve(options.socketDir ?? DEFAULT_SOCKET_DIR);
  }

  socketAddress(who: ShimIdentity): string {
    validateId(who.namespace, "namespace");
    validateId(who.id, "id");
    const digest = createHash("sha256")
      .update(goJoin(who.containerdAddress, who.namespace, who.id))
      .digest("hex");
    const path = join(this.#socketDir, digest);
    if (Buffer.byteLength(path) > SOCKET_PATH_LIMIT) {
      throw new InvalidArgumentError(
        `${JSON.stringify(path)}: unix socket path too long (> ${SOCKET_PATH_LIMIT})`,
      );
    }
    return `${UNIX_PREFIX}${path}`;
  }

  logEndpoint(_who: Pick<ShimIdentity, "namespace" | "id">, bundleDir: string): string {
    return join(resolve(bundleDir), "log");
  }

  /**
   * `unix:///x` → `/x`. An address without `unix://` is an abstract socket name to containerd's dialer,
   * so it becomes `\0name` (Node's notation for the Linux abstract namespace).
   */
  toListenPath(address: string): string {
    return address.startsWith(UNIX_PREFIX) ? address.slice(UNIX_PREFIX.length) : `\0${address}`;
  }
}
