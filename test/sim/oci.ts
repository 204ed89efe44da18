/**
 * The parts of an OCI bundle the simulator uses: the process (args, env, cwd, terminal, consoleSize) and
 * the root file system (`windows.layerFolders` or `root.path`, relative to the bundle). Nothing is mounted
 * or chrooted: the root is only checked for existence and reported as `rootfs`.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** What a helper needs to run one process. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  consoleSize?: { height: number; width: number };
}

/** The container config after validation. */
export interface BundleConfig {
  ociVersion: string;
  process: ProcessSpec;
  rootfs: string;
  annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function toProcess(p: Json): ProcessSpec {
  const args = Array.isArray(p.args) ? p.args.map(String) : [];
  const env = Array.isArray(p.env) ? p.env.map(String) : [];
  const spec: ProcessSpec = {
    args,
    env,
    cwd: typeof p.cwd === "string" ? p.cwd : "",
    terminal: p.terminal === true,
  };
  if (isObj(p.consoleSize)) {
    spec.consoleSize = { height: Number(p.consoleSize.height) || 0, width: Number(p.consoleSize.width) || 0 };
  }
  return spec;
}

/** Reads and validates `<bundle>/config.json`. Errors are plain messages, as runhcs prints them. */
export function loadBundle(bundle: string): BundleConfig {
  const file = join(bundle, "config.json");
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(file, "utf8"));
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(`open ${file}: no such file or directory`);
    throw new Error(`failed to parse ${file}: ${(err as Error).message}`);
  }
  if (!isObj(spec)) throw new Error(`failed to parse ${file}: not a JSON object`);
  if (!isObj(spec.process)) throw new Error("process property must not be empty");
  const proc = toProcess(spec.process);
  if (proc.args.length === 0) throw new Error("args must not be empty");

  let rootfs = "";
  const windows = isObj(spec.windows) ? spec.windows : undefined;
  const layers = windows && Array.isArray(windows.layerFolders) ? windows.layerFolders.map(String) : [];
  const rootPath = isObj(spec.root) && typeof spec.root.path === "string" ? spec.root.path : "";
  if (layers.length > 0) {
    for (const layer of layers) {
      const abs = resolve(bundle, layer);
      if (!isDir(abs)) throw new Error(`layer folder '${abs}' does not exist or is not a directory`);
    }
    if (rootPath !== "") rootfs = resolve(bundle, rootPath);
  } else if (rootPath !== "") {
    rootfs = resolve(bundle, rootPath);
    if (!isDir(rootfs)) throw new Error(`root.path '${rootfs}' does not exist or is not a directory`);
  } else {
    throw new Error("invalid spec: neither windows.layerFolders nor root.path is set");
  }
  const out: BundleConfig = {
    ociVersion: typeof spec.ociVersion === "string" ? spec.ociVersion : "",
    process: proc,
    rootfs,
  };
  if (isObj(spec.annotations) && Object.keys(spec.annotations).length > 0) {
    out.annotations = Object.fromEntries(Object.entries(spec.annotations).map(([k, v]) => [k, String(v)]));
  }
  return out;
}

/** Windows (`C:\`, `\\server`) or POSIX absolute path. */
export function isAbsoluteAnyOs(p: string): boolean {
  return isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");
}

/** Parses and validates an exec process JSON with runhcs's messages. */
export function parseExecProcess(text: string): ProcessSpec {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (err: unknown) {
    throw new Error(`failed to parse process spec: ${(err as Error).message}`);
  }
  if (!isObj(p)) throw new Error("failed to parse process spec: not a JSON object");
  const spec = toProcess(p);
  if (spec.cwd === "") throw new Error("Cwd property must not be empty");
  if (!isAbsoluteAnyOs(spec.cwd)) throw new Error("Cwd must be an absolute path");
  if (spec.args.length === 0) throw new Error("args must not be empty");
  return spec;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The process's working directory: the spec's when it exists on this host, else the bundle. */
export function hostCwd(spec: ProcessSpec, bundle: string): string {
  return spec.cwd !== "" && isAbsolute(spec.cwd) && isDir(spec.cwd) ? spec.cwd : bundle;
}

/** OCI `KEY=VALUE` list as an environment object. */
export function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf("=");
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * Resolves the executable: a path is used as-is (relative to cwd), a bare name is searched in the spec's
 * PATH, falling back to the host's PATH when the spec has none. Throws when nothing executable is found,
 * so start/exec fail with a clear message instead of a late ENOENT.
 */
export function resolveExecutable(file: string, env: Record<string, string>, cwd: string): string {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (file.includes("/")) {
    const abs = resolve(cwd, file);
    if (ok(abs)) return abs;
    throw new Error(
      `exec: "${file}": ${existsSync(abs) ? "permission denied" : "no such file or directory"}`,
    );
  }
  const path = env.PATH ?? process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  for (const dir of path.split(delimiter)) {
    if (dir !== "" && ok(join(dir, file))) return join(dir, file);
  }
  throw new Error(`exec: "${file}": executable file not found in $PATH`);
}

/**
 * hcsshim cmd/runhcs/container.go `parseSandboxAnnotations`, as it is: `(id, true)` for a sandbox,
 * `(id, false)` for a container of the sandbox `id`, `("", false)` otherwise.
 */
export function parseSandboxAnnotations(a: Record<string, string>): [string, boolean] {
  const keys: Array<[string, string]> = [
    ["io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"],
    ["io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"],
    ["io.kubernetes.docker.type", "io.kubernetes.sandbox.id"],
  ];
  const found = keys.find(([typeKey]) => a[typeKey]);
  if (!found) return ["", false];
  let t = a[found[0]];
  const id = a[found[1]] ?? "";
  if (found[0] === "io.kubernetes.docker.type" && t === "podsandbox") t = "sandbox";
  if (t === "container") return [id, false];
  if (t === "sandbox") return [id, true];
  return ["", false];
}
