/**
 * The OCI `process` the service needs: the init process from config.json (terminal decides whether
 * the container gets a console), and the exec process file `runhcs exec --process <file>` reads.
 */
import { InvalidArgumentError } from "../errdefs.js";
import { writeFileAtomic } from "./atomic-write.js";
import { CONFIG_FILE_NAME, isJsonObject, readSpecFile } from "./spec-file.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The fields of an OCI process the shim looks at (defaults as in the OCI spec when absent). */
export interface ProcessInfo {
  args: string[];
  terminal: boolean;
  cwd: string;
  env: string[];
}

function stringArray(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new InvalidArgumentError(`${what} is not an array of strings`);
  }
  return value as string[];
}

/** Validate and pick the {@link ProcessInfo} fields of a parsed OCI process; `what` names it in errors. */
export function processInfo(value: unknown, what: string): ProcessInfo {
  if (!isJsonObject(value)) throw new InvalidArgumentError(`${what} is not a JSON object`);
  const terminal = value["terminal"] ?? false;
  const cwd = value["cwd"] ?? "";
  if (typeof terminal !== "boolean") throw new InvalidArgumentError(`${what}.terminal is not a boolean`);
  if (typeof cwd !== "string") throw new InvalidArgumentError(`${what}.cwd is not a string`);
  return {
    args: stringArray(value["args"], `${what}.args`),
    terminal,
    cwd,
    env: stringArray(value["env"], `${what}.env`),
  };
}

/** The init process of the bundle (`config.json` `process`); InvalidArgument when missing or malformed. */
export async function readSpecProcess(bundle: string): Promise<ProcessInfo> {
  const { spec } = await readSpecFile(bundle);
  if (spec["process"] === undefined || spec["process"] === null) {
    throw new InvalidArgumentError(`bundle ${CONFIG_FILE_NAME} has no process`);
  }
  return processInfo(spec["process"], `${CONFIG_FILE_NAME} process`);
}

/**
 * Write the exec process spec (the JSON bytes of ExecProcessRequest.spec) to `path` atomically,
 * verbatim, after checking it is a JSON object with non-empty `args` (runhcs would reject it later,
 * with its message lost in the exec's stderr). Build `path` with `bundleFilePath` so it stays in the
 * bundle. Replacing the file atomically also fixes the seed, which opened it without truncation.
 */
export async function writeProcessSpec(path: string, processJson: string | Uint8Array): Promise<ProcessInfo> {
  let value: unknown;
  try {
    value = JSON.parse(typeof processJson === "string" ? processJson : utf8.decode(processJson));
  } catch (err: unknown) {
    const why = err instanceof SyntaxError ? err.message : "not valid UTF-8";
    throw new InvalidArgumentError(`exec process spec is not valid JSON: ${why}`, {
      cause: err,
    });
  }
  const info = processInfo(value, "exec process spec");
  if (info.args.length === 0) throw new InvalidArgumentError("exec process spec args must not be empty");
  await writeFileAtomic(path, processJson, 0o644);
  return info;
}
