/**
 * Shared by the runhcs simulator drivers: running `runhcs.exe` ($RUNHCS_BINARY) with a private `--root`,
 * reading runhcs's registry values back (advapi32 RegQueryValueExW through koffi), the Toolhelp parent
 * pid map, and bundles whose process is a node.exe script.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { toolhelpProcessTree } from "../../../src/platform/windows-toolhelp.js";
import { containerKeyPath } from "../runhcs/regstate.js";
import { HKLM, loadRegistry, REG_BINARY, REG_QWORD } from "../runhcs/win32.js";
import { within } from "./report.js";

export const ROOT = `wine-sim-${randomBytes(4).toString("hex")}`;
const RUNHCS = process.env.RUNHCS_BINARY ?? "runhcs.exe";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `runhcs --root ROOT [--log F --log-format json] <args>`: exit code (unsigned), stdout, stderr. */
export function runhcs(args: string[], opts: { log?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const log = opts.log ? ["--log", opts.log, "--log-format", "json"] : [];
  const c = spawn(RUNHCS, ["--root", ROOT, ...log, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    windowsHide: true,
    ...(opts.env ? { env: opts.env } : {}),
  });
  let stdout = "";
  let stderr = "";
  c.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  c.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return within(
    new Promise((resolve, reject) => {
      c.once("error", reject);
      // create and exec hand their stdio to a helper that outlives them: their end is the exit.
      const event = args[0] === "create" || args.includes("--detach") ? "exit" : "close";
      c.once(event, (code: number | null) =>
        resolve({ code: code === null ? null : code >>> 0, stdout, stderr }),
      );
    }),
    120_000,
    `runhcs ${args.join(" ")}`,
  );
}

/**
 * `runhcs create` with stdio pipes held by the driver (the container's stdio): `stdin` is written and
 * closed at once; `output()` is what reached the stdout pipe so far.
 */
export function createWithStdio(
  id: string,
  bundle: string,
  stdin: string,
): { done: Promise<number | null>; output(): string; closeOutput(): void } {
  const args = [
    "--root",
    ROOT,
    "create",
    "--bundle",
    bundle,
    "--pid-file",
    path.join(bundle, "init.pid"),
    id,
  ];
  const child: ChildProcess = spawn(RUNHCS, args, { stdio: ["pipe", "pipe", "ignore"], windowsHide: true });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stdin?.end(stdin);
  const done = new Promise<number | null>((r) => child.once("exit", r));
  return { done, output: () => out, closeOutput: () => child.stdout?.destroy() };
}

/** Waits (polling, bounded) until `check()` is truthy. */
export async function until<T>(check: () => T, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One registry value of the container (REG_QWORD → number, REG_BINARY → parsed JSON), or undefined. */
export function regValue(id: string, name: string, root = ROOT): unknown {
  const reg = loadRegistry();
  const k = reg.open(HKLM, containerKeyPath(root, id));
  if (!k) return undefined;
  try {
    const v = reg.queryValue(k, name);
    if (!v) return undefined;
    if (v.type === REG_QWORD) return Number(v.data.readBigUInt64LE(0));
    if (v.type === REG_BINARY) return JSON.parse(v.data.toString("utf8"));
    return { type: v.type };
  } finally {
    reg.close(k);
  }
}

/** Whether the container's registry key exists. */
export function regKeyExists(id: string, root = ROOT): boolean {
  const reg = loadRegistry();
  const k = reg.open(HKLM, containerKeyPath(root, id));
  if (k) reg.close(k);
  return k !== undefined;
}

/** pid → parent pid, from one Toolhelp snapshot. */
export function parents(): Promise<Map<number, number>> {
  return new Promise((resolve) =>
    toolhelpProcessTree().getProcessList(process.pid, (list) =>
      resolve(new Map((list ?? []).map((p) => [p.pid, p.ppid]))),
    ),
  );
}

/** Ancestors of `pid` (parent first), by the parent map. */
export function ancestors(map: Map<number, number>, pid: number): number[] {
  const out: number[] = [];
  for (let p = map.get(pid); p && !out.includes(p) && out.length < 64; p = map.get(p)) out.push(p);
  return out;
}

/** One fake-HCS request line on the compute system's pipe; the reply line, or `nopipe`. */
export function hcs(id: string, line: string): Promise<string> {
  return within(
    new Promise((resolve) => {
      const sock = net.connect(`\\\\.\\pipe\\runhcs-wine-sim-cs-${id}`);
      let buf = "";
      sock.setEncoding("utf8");
      sock.on("connect", () => sock.write(`${line}\n`));
      sock.on("data", (d: string) => {
        buf += d;
      });
      sock.on("error", () => resolve("nopipe"));
      sock.on("close", () => resolve(buf.trim() || "nopipe"));
    }),
    30_000,
    `hcs ${line}`,
  );
}

/** A bundle whose init runs `script` in node.exe; with `linux` the spec is an LCOW one. */
export function makeBundle(dir: string, script: string, opts: { linux?: boolean } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    ociVersion: "1.0.2",
    process: { args: [process.execPath, "-e", script], cwd: dir },
    ...(opts.linux ? { linux: {} } : { windows: { layerFolders: [] } }),
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(spec));
  return dir;
}

/** An exec process.json running `args` (env entries added). */
export function processFile(dir: string, name: string, args: string[], env: string[] = []): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ args, cwd: dir, env: [`SystemRoot=${process.env.SystemRoot ?? ""}`, ...env] }),
  );
  return file;
}

export { alive, gone } from "./shim-run.js";

/** Reads a pid file. */
export function readPid(file: string): number {
  return Number(fs.readFileSync(file, "utf8").trim());
}
