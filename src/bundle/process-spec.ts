/**
 * The exec process file `runhcs exec --process <file>` reads: an OCI `process`, checked before it is
 * written (the init process is config.json's, which runhcs reads itself).
 */
import { writeFileSync } from "node:fs";
import { InvalidArgumentError } from "../errdefs.js";
import { isJsonObject } from "./spec-file.js";

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
function processInfo(value: unknown, what: string): ProcessInfo {
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

/**
 * Write the exec process spec (the JSON bytes of ExecProcessRequest.spec) to `path` verbatim, after
 * checking it is a JSON object with non-empty `args` (runhcs would reject it later, with its message lost
 * in the exec's stderr). Build `path` with `bundleFilePath` so it stays in the bundle. The file is
 * truncated first (the seed did not truncate, so a shorter spec kept the tail of a longer one). Neither a
 * temp file and rename nor an fsync: its one reader is the `runhcs exec` spawned after this returns, and
 * after a crash nothing reads it (the exec never started). Synchronous, as the bundle's small files are
 * (`bundle/files.ts`).
 */
export function writeProcessSpec(path: string, processJson: string | Uint8Array): ProcessInfo {
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
  writeFileSync(path, processJson, { mode: 0o644 });
  return info;
}
