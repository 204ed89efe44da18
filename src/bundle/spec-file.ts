/**
 * Reading the bundle's OCI spec (config.json) and naming files inside the bundle safely.
 *
 * The bundle directory comes from containerd; the file names are ours. {@link bundleFilePath}
 * refuses any name that is not one plain path component, so nothing we write can land outside
 * the bundle even when a name embeds a client-chosen id (exec ids are not validated by containerd).
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "../errdefs.js";

/** The OCI runtime spec file of a bundle. */
export const CONFIG_FILE_NAME = "config.json";

/** A JSON object as parsed from a spec. */
export type JsonObject = Record<string, unknown>;

/** What {@link readSpecFile} found: the exact text (for splicing), the parsed spec and the file mode. */
export interface SpecFile {
  path: string;
  text: string;
  spec: JsonObject;
  /** Permission bits of the file, kept when it is rewritten. */
  mode: number;
}

/**
 * Characters that make a name more than one plain file name: path separators (Windows accepts
 * both), `:` (a drive or an NTFS alternate data stream), the other characters Windows forbids, and
 * control characters (NUL included).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const UNSAFE_NAME = /[/\\:*?"<>|\x00-\x1f]/;

/**
 * `<bundle>/<name>`, refusing a name that could escape the bundle or address something else:
 * empty, {@link UNSAFE_NAME} characters, or a trailing dot or space (which covers `.` and `..`;
 * Windows strips those, so the name would not be the one we checked).
 */
export function bundleFilePath(bundle: string, name: string): string {
  if (name === "" || UNSAFE_NAME.test(name) || /[. ]$/.test(name)) {
    throw new InvalidArgumentError(`bundle file name ${JSON.stringify(name)} is not a plain file name`);
  }
  return join(bundle, name);
}

/** True for a non-null, non-array object: the JSON `{...}` shape. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Read and parse `<bundle>/config.json`. A missing file, bytes that are not UTF-8 JSON (a BOM
 * included, as Go's decoder also rejects it) or a top level that is not an object are all
 * InvalidArgument: the bundle containerd handed us is unusable. Read synchronously, once per Create: a
 * spec is kilobytes on the bundle's local disk (`files.ts`).
 */
export function readSpecFile(bundle: string): SpecFile {
  const path = bundleFilePath(bundle, CONFIG_FILE_NAME);
  let bytes: Buffer;
  let mode: number;
  try {
    const fd = openSync(path, "r");
    try {
      mode = fstatSync(fd).mode & 0o7777;
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") {
      throw new InvalidArgumentError(`bundle ${bundle} does not contain ${CONFIG_FILE_NAME}`, { cause: err });
    }
    throw err;
  }
  let text: string;
  let spec: unknown;
  try {
    text = utf8.decode(bytes);
    spec = JSON.parse(text);
  } catch (err: unknown) {
    const why = err instanceof SyntaxError ? err.message : "not valid UTF-8";
    throw new InvalidArgumentError(`bundle ${CONFIG_FILE_NAME} is not valid JSON: ${why}`, { cause: err });
  }
  if (!isJsonObject(spec)) {
    throw new InvalidArgumentError(
      `bundle ${CONFIG_FILE_NAME} is not valid oci spec: top level is not an object`,
    );
  }
  return { path, text, spec, mode };
}

/**
 * `config.json`'s annotations (string values only); none when there is no spec (yet), it is not a valid
 * spec, or it has none. For looking (the group in `start`): Create reports a bad spec with its reason.
 */
export function readSpecAnnotations(bundle: string): Record<string, string> {
  try {
    return specAnnotations(readSpecFile(bundle).spec);
  } catch {
    return {};
  }
}

/** The annotations of a parsed spec (string values only; none when it has none). */
export function specAnnotations(spec: unknown): Record<string, string> {
  const annotations = (spec as { annotations?: unknown } | null)?.annotations;
  if (typeof annotations !== "object" || annotations === null) return {};
  return Object.fromEntries(
    Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}
