/**
 * The layer rewrite of config.json done by Create before `runhcs create` (containerd's
 * `writeMountsToConfig`), with the seed's bugs fixed:
 * - parents keep containerd's order (layerN … layer0) for BOTH mount types, then the scratch layer;
 * - a `windows-layer` mount on a spec without `windows` creates the section instead of crashing
 *   (the Go shims dereferenced nil); runhcs needs `windows.layerFolders` for every Windows container,
 *   so creating it is the only useful answer;
 * - no rootfs mounts means caller-managed storage: the spec is left untouched (containerd PR #2926);
 * - the file is replaced atomically, only the members we own are spliced into the original text,
 *   and a rewrite that would change nothing writes nothing (so a retried Create does not stack the
 *   same layers twice).
 */
import { InvalidArgumentError } from "../errdefs.js";
import { writeFileAtomic } from "./atomic-write.js";
import { memberText, setMember } from "./json-splice.js";
import { parseLayerMount, type RootfsMount } from "./rootfs-mounts.js";
import { CONFIG_FILE_NAME, isJsonObject, type JsonObject, readSpecFile, type SpecFile } from "./spec-file.js";

/**
 * Layer folders a spec must already carry when Create has no rootfs mounts and
 * {@link WriteMountsOptions.requireLayerFolders} is set: at least one parent layer plus the scratch
 * layer, as containerd's master shim demanded and as runhcs itself requires for a container.
 */
export const MIN_LAYER_FOLDERS = 2;

/** Options of {@link writeMountsToConfig}. */
export interface WriteMountsOptions {
  /**
   * Without rootfs mounts, require `windows.layerFolders` to hold at least {@link MIN_LAYER_FOLDERS}
   * entries (InvalidArgument otherwise). Default true: real runhcs cannot start a container without
   * layers. A simulator-backed run on another platform may turn it off.
   */
  requireLayerFolders?: boolean;
}

/** What {@link writeMountsToConfig} did. */
export interface WriteMountsResult {
  /** Whether config.json was rewritten. */
  changed: boolean;
  /** `windows.layerFolders` as config.json now has it. */
  layerFolders: string[];
  /** The spec has a `linux` section: an LCOW container (runhcs: `c.Spec.Linux != nil`). */
  lcow: boolean;
}

const INVALID_SPEC = `bundle ${CONFIG_FILE_NAME} is not valid oci spec`;

interface WindowsSection {
  /** The `windows` object, or undefined when absent or null. */
  windows: JsonObject | undefined;
  layerFolders: string[];
  hasHyperV: boolean;
}

function windowsSection(spec: JsonObject): WindowsSection {
  const windows = spec["windows"] ?? undefined;
  if (windows === undefined) return { windows, layerFolders: [], hasHyperV: false };
  if (!isJsonObject(windows)) throw new InvalidArgumentError(`${INVALID_SPEC}: windows is not an object`);
  const folders = windows["layerFolders"] ?? [];
  if (!Array.isArray(folders) || !folders.every((f) => typeof f === "string")) {
    throw new InvalidArgumentError(`${INVALID_SPEC}: windows.layerFolders is not an array of strings`);
  }
  const hyperv = windows["hyperv"] ?? undefined;
  if (hyperv !== undefined && !isJsonObject(hyperv)) {
    throw new InvalidArgumentError(`${INVALID_SPEC}: windows.hyperv is not an object`);
  }
  return { windows, layerFolders: folders as string[], hasHyperV: hyperv !== undefined };
}

function endsWith(list: readonly string[], tail: readonly string[]): boolean {
  const offset = list.length - tail.length;
  return offset >= 0 && tail.every((item, i) => list[offset + i] === item);
}

/**
 * Put the layers of the Create request's rootfs mounts into `<bundle>/config.json`:
 * `windows.layerFolders = existing + parents (layerN … layer0) + [scratch]`, and for `lcow-layer`
 * make sure `windows.hyperv` exists (LCOW always runs in a utility VM).
 *
 * Every bad input (several mounts, unknown type, malformed `parentLayerPaths=`, empty source,
 * missing or malformed config.json) throws InvalidArgumentError and leaves config.json as it was.
 * `source` is the bundle, or its config.json as the caller read it already.
 */
export async function writeMountsToConfig(
  source: string | SpecFile,
  mounts: readonly RootfsMount[],
  options: WriteMountsOptions = {},
): Promise<WriteMountsResult> {
  const layer = parseLayerMount(mounts);
  const file = typeof source === "string" ? readSpecFile(source) : source;
  const current = windowsSection(file.spec);
  const lcow = isJsonObject(file.spec["linux"]);
  if (!layer) {
    const found = current.layerFolders.length;
    if ((options.requireLayerFolders ?? true) && found < MIN_LAYER_FOLDERS) {
      throw new InvalidArgumentError(
        `no Windows.LayerFolders found in oci spec: Create without rootfs mounts needs at least ${MIN_LAYER_FOLDERS} (parent layers and scratch), found ${found}`,
      );
    }
    return { changed: false, layerFolders: current.layerFolders, lcow };
  }

  const added = [...layer.parents, layer.scratch];
  const alreadyApplied = endsWith(current.layerFolders, added);
  const layerFolders = alreadyApplied ? current.layerFolders : [...current.layerFolders, ...added];

  const originalWindows = current.windows ? (memberText(file.text, "windows") as string) : "{}";
  let windowsText = originalWindows;
  if (!alreadyApplied) windowsText = setMember(windowsText, "layerFolders", JSON.stringify(layerFolders));
  if (layer.type === "lcow-layer" && !current.hasHyperV) windowsText = setMember(windowsText, "hyperv", "{}");
  if (windowsText === originalWindows && current.windows) return { changed: false, layerFolders, lcow };

  await writeFileAtomic(file.path, setMember(file.text, "windows", windowsText), file.mode);
  return { changed: true, layerFolders, lcow };
}
