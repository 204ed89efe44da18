/**
 * Parsing of the stdio strings containerd puts in CreateTaskRequest / ExecProcessRequest
 * (`stdin`, `stdout`, `stderr`).
 *
 * containerd's runc shim decides by URL scheme (`process/io.go` createIO): no scheme → a FIFO path,
 * `file://` → append to a file, `binary://` → a logging binary; anything else is `unknown STDIO scheme`.
 * On Windows the plain form is a named-pipe path (`\\.\pipe\ctr-<id>-stdout`) that containerd serves,
 * and `npipe://` URIs may also appear (task-api.md §9). We parse once, here, into a small union so the
 * openers never look at raw strings.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError, NotImplementedError } from "../errdefs.js";

/** Which stream a target belongs to: stdin is read from upstream, stdout/stderr are written upstream. */
export type StdioRole = "stdin" | "stdout" | "stderr";

/** Path rules to apply: POSIX absolute paths, or Windows pipe/absolute paths. */
export type PathFlavor = "posix" | "windows";

/** A parsed stdio target. `none` means the stream is not used (containerd sent ""). */
export type StdioTarget =
  | { readonly kind: "none" }
  /** A plain path: a FIFO on POSIX, a named pipe that containerd serves on Windows. */
  | { readonly kind: "path"; readonly path: string }
  /** `file://<abs path>`: output appended to a regular file (created with its directory). */
  | { readonly kind: "file"; readonly path: string }
  /** `npipe://…`: an explicit named pipe, normalised to `\\.\pipe\<name>` form. */
  | { readonly kind: "npipe"; readonly path: string };

/** A scheme as Go's url.Parse would see it, but at least two letters so `C:\x` stays a path. */
const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * Parses one stdio string.
 *
 * @throws NotImplementedError for `binary://` (logging binaries are not supported yet).
 * @throws InvalidArgumentError for unknown schemes, relative or empty paths, NUL bytes, and
 *   `file://`/`npipe://` used for stdin (containerd only reads stdin from a FIFO/pipe).
 */
export function parseStdioTarget(value: string, role: StdioRole, flavor: PathFlavor): StdioTarget {
  if (value === "") return { kind: "none" };
  if (value.includes("\0")) throw invalid(role, value, "contains a NUL byte");
  const scheme = SCHEME_RE.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "path", path: plainPath(value, role, flavor) };
  switch (scheme) {
    case "binary":
      throw new NotImplementedError(`${role} ${JSON.stringify(value)}: binary:// logging is not supported`);
    case "file":
      if (role === "stdin") throw invalid(role, value, "file:// is only valid for stdout and stderr");
      return { kind: "file", path: filePath(value, role, flavor) };
    case "npipe":
      return { kind: "npipe", path: npipePath(value, role) };
    default:
      throw invalid(role, value, `unknown STDIO scheme ${scheme}`);
  }
}

function plainPath(value: string, role: StdioRole, flavor: PathFlavor): string {
  const absolute = flavor === "windows" ? path.win32.isAbsolute(value) : path.posix.isAbsolute(value);
  if (!absolute) throw invalid(role, value, "not an absolute path");
  return value;
}

function filePath(value: string, role: StdioRole, flavor: PathFlavor): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (e: unknown) {
    throw invalid(role, value, "malformed file:// URI", e);
  }
  let p: string;
  try {
    p = fileURLToPath(url, { windows: flavor === "windows" });
  } catch (e: unknown) {
    throw invalid(role, value, "malformed file:// URI", e);
  }
  const absolute = flavor === "windows" ? path.win32.isAbsolute(p) : path.posix.isAbsolute(p);
  if (!absolute || p.endsWith("/") || p.endsWith("\\")) {
    throw invalid(role, value, "file:// URI must name an absolute file path");
  }
  return p;
}

/**
 * `npipe://./pipe/x`, `npipe:////./pipe/x` (docker's form) and `npipe:\\.\pipe\x` all become
 * `\\.\pipe\x`; the pipe name must not be empty.
 */
function npipePath(value: string, role: StdioRole): string {
  const rest = value.slice("npipe:".length).replaceAll("/", "\\").replace(/^\\+/, "");
  const m = /^([^\\]+)\\pipe\\(.+)$/i.exec(rest);
  if (!m) throw invalid(role, value, "malformed npipe:// URI (want npipe://./pipe/<name>)");
  return `\\\\${m[1]}\\pipe\\${m[2]}`;
}

function invalid(role: StdioRole, value: string, why: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `${role} ${JSON.stringify(value)}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}
