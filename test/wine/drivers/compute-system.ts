/**
 * A tiny compute-system stub for the Wine drivers, run as its OWN process (the fake vmcompute.dll's calls
 * are synchronous: a pipe served by the calling node's event loop would deadlock). It serves
 * `\\.\pipe\runhcs-wine-sim-cs-<id>` with the protocol of test/wine/vmcompute/vmcompute.c and owns one
 * victim process, known inside the "container" as `containerPid`. One request line per connection, one
 * reply line:
 *   open <pid> | terminate <pid> | signal <pid> <options-json>  →  ok | err 0x%08x <message>
 * It reports on stdout, one line each: `ready`, `request <line>`, `exit <code> <signal>` (the victim's),
 * and `synced <n>` for each `sync <n>` line on its stdin (all it reported before has then arrived).
 * When its stdin ends it kills the victim (if alive) and exits.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

/** The driver's handle on a stub process. */
export interface ComputeSystem {
  /** Every request line the stub received so far, in order. */
  readonly requests: string[];
  /** Resolves with the victim's exit once it exited. */
  readonly victimExit: Promise<{ code: number | null; signal: string | null }>;
  victimAlive(): boolean;
  /** Resolves once every line the stub wrote so far has been read (requests complete up to now). */
  sync(): Promise<void>;
  /** Ends the stub (and its victim) and waits for it. */
  close(): Promise<void>;
}

/** Starts the stub process and resolves once its pipe is listening. */
export async function startComputeSystem(id: string, containerPid: number): Promise<ComputeSystem> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, "serve", id, String(containerPid)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const requests: string[] = [];
  let alive = true;
  let onExit: (e: { code: number | null; signal: string | null }) => void = () => {};
  const victimExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    onExit = resolve;
  });
  const synced = new Map<number, () => void>();
  let nextSync = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`compute-system stub exited (${code}) before ready`)));
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "ready") resolve();
        else if (line.startsWith("synced ")) synced.get(Number(line.slice("synced ".length)))?.();
        else if (line.startsWith("request ")) requests.push(line.slice("request ".length));
        else if (line.startsWith("exit ")) {
          const [, code, signal] = line.split(" ");
          alive = false;
          onExit({
            code: code === "null" ? null : Number(code),
            signal: signal === "null" ? null : (signal ?? null),
          });
        }
      }
    });
  });
  await ready;
  return {
    requests,
    victimExit,
    victimAlive: () => alive,
    sync() {
      const n = nextSync++;
      return new Promise<void>((resolve) => {
        synced.set(n, resolve);
        child.stdin.write(`sync ${n}\n`);
      });
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

const ELEMENT_NOT_FOUND = "err 0x80070490 Element not found.";
const ALREADY_STOPPED = "err 0x8037011f The process is already stopped.";

/** The stub process itself. */
async function serve(id: string, containerPid: number): Promise<void> {
  const victim = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  let alive = true;
  victim.once("exit", (code, signal) => {
    alive = false;
    process.stdout.write(`exit ${code} ${signal}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    victim.once("spawn", resolve);
    victim.once("error", reject);
  });
  const reply = (line: string): string => {
    process.stdout.write(`request ${line}\n`);
    const m = /^(open|terminate|signal) (\d+)(?: (.*))?$/.exec(line);
    if (!m) return "err 0x80070057 The parameter is incorrect.";
    if (Number(m[2]) !== containerPid) return ELEMENT_NOT_FOUND;
    if (m[1] === "open") return alive ? "ok" : ELEMENT_NOT_FOUND;
    if (!alive) return ALREADY_STOPPED;
    if (m[1] === "terminate") victim.kill("SIGKILL");
    return "ok";
  };
  const server = net.createServer((s) => {
    s.on("error", () => {});
    let buf = "";
    s.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) s.end(`${reply(buf.slice(0, nl))}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(`\\\\.\\pipe\\runhcs-wine-sim-cs-${id}`, resolve);
  });
  process.stdout.write("ready\n");
  let input = "";
  process.stdin.setEncoding("utf8").on("data", (d: string) => {
    input += d;
    for (let nl = input.indexOf("\n"); nl >= 0; nl = input.indexOf("\n")) {
      const line = input.slice(0, nl);
      input = input.slice(nl + 1);
      if (line.startsWith("sync ")) process.stdout.write(`synced ${line.slice("sync ".length)}\n`);
    }
  });
  process.stdin.on("end", () => {
    server.close();
    if (alive) victim.kill("SIGKILL");
    const done = () => process.exit(0);
    if (alive) victim.once("exit", done);
    else done();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "serve") {
  serve(process.argv[3] ?? "", Number(process.argv[4])).catch((err: unknown) => {
    process.stderr.write(`compute-system stub: ${String(err)}\n`);
    process.exit(1);
  });
}
