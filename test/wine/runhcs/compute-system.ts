/**
 * The simulated compute system (vmcompute/HCS) of one container: `runhcs create` starts it detached
 * (`runhcs wine-sim-compute-system <id>`), it lives until `runhcs delete`. It creates and owns the
 * container's processes (init and execs are ITS children, not the `runhcs shim` helpers'), as HCS does
 * for `cmdpkg.Cmd{Host: c.hc}` in hcsshim's cmd/runhcs/shim.go. Container pids are host pids here.
 *
 * Pipe `\\.\pipe\runhcs-wine-sim-cs-<id>`, one request line per connection, one reply line:
 *   open <pid>               ok | err 0x80070490 process not found          (fake vmcompute.dll)
 *   terminate <pid>          ok | err ...   HcsTerminateProcess: exit code 1 (fake vmcompute.dll)
 *   signal <pid> <json>      ok | err 0x80070057 invalid signal               (fake vmcompute.dll)
 *   state                    ok Created|Running|Stopped    (HcsGetComputeSystemProperties State)
 *   start                    ok                            (HcsStartComputeSystem)
 *   ps                       ok [pids]                     (PropertyTypeProcessList)
 *   spawn <json>             ok <pid>    {process, bundle, init}: HcsCreateProcess; stdio kept for attach
 *   attach <pid> <stream>    ok, then the connection is that stdio stream (HCS process stdio handles)
 *   wait <pid>               ok <exit code> once it exited (the init: once the container stopped too)
 *   waitstop                 ok once the container stopped (the init helper's containerExitCh)
 *   shutdown                 ok once every process ended (HcsTerminateComputeSystem); then exits
 * When the init process exits the container stops: the remaining processes are terminated (shim.go's
 * `c.hc.Shutdown`/`Terminate` after `cmd.Wait()`), state Stopped.
 * A process's stdio ends with the process, at the latest 2 s after the exit: HCS closes it at the exit, and
 * hcsshim's internal/cmd/cmd.go relays until then (its `CopyAfterExitTimeout` only guards against an HCS that
 * fails to; cmd/runhcs/shim.go builds its `cmdpkg.Cmd` without one).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import type { Writable } from "node:stream";
import { csPipe } from "./cs-client.js";
import { NotFoundError, readRecord } from "./regstate.js";
import {
  IGNORE_CTRL_ENV,
  parseSignalOptions,
  signalExitCode,
  TERMINATED_EXIT,
  type WcowSignal,
} from "./signals.js";
import { terminateProcess } from "./win32.js";

/** The process part of an OCI spec (what the simulator uses of it). */
export interface ProcessSpec {
  args: string[];
  cwd?: string;
  env?: string[];
}

/** Validates `process` of a spec or a process.json. */
export function parseProcess(value: unknown): ProcessSpec {
  const p = value as Partial<ProcessSpec> | undefined;
  if (!p || !Array.isArray(p.args) || p.args.length === 0 || !p.args.every((a) => typeof a === "string")) {
    throw new Error("process.args must be a non-empty array of strings");
  }
  return p as ProcessSpec;
}

/** One output stream of a process: buffered until a helper attaches (Node discards unread stdio). */
class Output {
  #chunks: Buffer[] = [];
  #ended = false;
  #sink: Writable | undefined;
  #dropped = false;
  constructor(stream: NodeJS.ReadableStream | null) {
    stream?.on("data", (c: Buffer) => {
      if (this.#ended) return; // past the grace after the exit
      if (this.#sink) this.#sink.write(c);
      else if (!this.#dropped) this.#chunks.push(c);
    });
    stream?.on("end", () => {
      this.#ended = true;
      this.#sink?.end();
    });
    stream?.on("error", () => {});
    if (!stream) this.#ended = true;
  }
  /**
   * The process exited: its output ends within `graceMs` even when the pipe does not report its end.
   * HCS closes a process's stdio when the process exits; under Wine the pipe of a process ended with
   * TerminateProcess sometimes reports its end only when another process of the container exits (seen:
   * 22 s later, with the exec's helper, and `runhcs exec` waiting on it, held all that time).
   */
  endAfterExit(graceMs: number): void {
    const timer = setTimeout(() => {
      if (this.#ended) return;
      this.#ended = true;
      this.#sink?.end();
    }, graceMs);
    timer.unref();
  }

  attach(sink: Writable): void {
    this.#sink = sink;
    sink.on("error", () => {});
    // A helper that went away (killed): its end of the stdio is closed, output is discarded.
    sink.on("close", () => {
      this.#sink = undefined;
      this.#dropped = true;
    });
    for (const c of this.#chunks) sink.write(c);
    this.#chunks = [];
    if (this.#ended) sink.end();
  }
}

/** How long a process's output may go on after its exit (the rest of what it wrote is still in the pipe). */
const OUTPUT_GRACE_MS = 2_000;

interface Proc {
  pid: number;
  child: ChildProcess;
  exitCode?: number;
  exited: Promise<number>;
  ignoresCtrl: boolean;
  out: Output;
  err: Output;
}

/** Runs the compute system of container `id` (root `root`); `ready` is fd 3 to `runhcs create`. */
export async function runComputeSystem(root: string, id: string, ready: net.Socket): Promise<void> {
  const lcow = readRecord(root, id).state.Spec.linux !== undefined;
  let state: "Created" | "Running" | "Stopped" = "Created";
  const procs = new Map<number, Proc>();
  let initPid: number | undefined;
  let stopped: Promise<void> | undefined;
  let markStopped = () => {};
  const stoppedSignal = new Promise<void>((r) => {
    markStopped = r;
  });
  const sockets = new Set<net.Socket>();

  const live = () => [...procs.values()].filter((p) => p.exitCode === undefined);
  const terminateAll = async (): Promise<void> => {
    for (const p of live()) terminateProcess(p.pid, TERMINATED_EXIT);
    await Promise.all([...procs.values()].map((p) => p.exited));
  };
  const stop = (): Promise<void> => {
    stopped ??= terminateAll().then(() => {
      state = "Stopped";
      markStopped();
    });
    return stopped;
  };

  const start = (spec: ProcessSpec, bundle: string, init: boolean): Promise<Proc> => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const kv of spec.env ?? []) {
      const eq = kv.indexOf("=");
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const cwd = spec.cwd && fs.existsSync(spec.cwd) ? spec.cwd : bundle;
    const [file, ...args] = spec.args as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { cwd, env, stdio: "pipe", windowsHide: true });
      child.once("error", reject);
      child.once("spawn", () => {
        const pid = child.pid as number;
        const exited = new Promise<number>((r) =>
          child.once("exit", (code) => r(code === null ? TERMINATED_EXIT : code >>> 0)),
        );
        const p: Proc = {
          pid,
          child,
          exited,
          ignoresCtrl: env[IGNORE_CTRL_ENV] === "1",
          out: new Output(child.stdout),
          err: new Output(child.stderr),
        };
        child.stdin?.on("error", () => {});
        void exited.then((code) => {
          p.exitCode = code;
          p.out.endAfterExit(OUTPUT_GRACE_MS);
          p.err.endAfterExit(OUTPUT_GRACE_MS);
          if (init) void stop();
        });
        procs.set(pid, p);
        if (init) initPid = pid;
        resolve(p);
      });
    });
  };

  const notFound = "err 0x80070490 process not found";
  const handle = async (line: string, sock: net.Socket): Promise<string | undefined> => {
    const [verb = "", a = "", ...rest] = line.split(" ");
    const p = procs.get(Number(a));
    switch (verb) {
      case "open":
        return p && p.exitCode === undefined ? "ok" : notFound;
      case "terminate":
        if (!p) return notFound;
        if (p.exitCode !== undefined || !terminateProcess(p.pid, TERMINATED_EXIT)) {
          return "err 0x8037011f The process has already exited";
        }
        return "ok";
      case "signal": {
        const sig: WcowSignal | number | undefined = parseSignalOptions(rest.join(" "), lcow);
        if (sig === undefined) return "err 0x80070057 invalid signal";
        if (!p) return notFound;
        if (p.exitCode !== undefined) return "err 0x8037011f The process has already exited";
        const code = signalExitCode(sig, p.ignoresCtrl);
        if (code !== undefined) terminateProcess(p.pid, code);
        return "ok";
      }
      case "state":
        return `ok ${state}`;
      case "start":
        if (state !== "Created")
          return "err 0xc0370105 The requested operation is not valid in the current state";
        state = "Running";
        return "ok";
      case "ps":
        return `ok ${JSON.stringify(live().map((x) => x.pid))}`;
      case "spawn": {
        if (state !== "Running") return "err 0xc0370105 The compute system is not running";
        const req = JSON.parse(line.slice("spawn ".length)) as {
          process: unknown;
          bundle: string;
          init: boolean;
        };
        if (req.init && initPid !== undefined) return "err 0xc0370105 The init process exists already";
        try {
          const proc = await start(parseProcess(req.process), req.bundle, req.init);
          return `ok ${proc.pid}`;
        } catch (err: unknown) {
          return `err 0x80070002 ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      case "attach": {
        if (!p) return notFound;
        sock.write("ok\n");
        if (rest[0] === "stdin") {
          const stdin = p.child.stdin;
          sock.on("data", (d: Buffer) => stdin?.write(d));
          sock.on("end", () => stdin?.end());
          sock.on("close", () => stdin?.end());
          sock.resume();
        } else {
          (rest[0] === "stderr" ? p.err : p.out).attach(sock);
        }
        return undefined;
      }
      case "wait": {
        if (!p) return notFound;
        const code = await p.exited;
        if (p.pid === initPid) await stop();
        return `ok ${code}`;
      }
      case "waitstop":
        await stoppedSignal;
        return "ok";
      case "shutdown":
        await stop();
        sock.once("close", () => exitWhenIdle());
        return "ok";
      default:
        return `err 0x80070057 unknown request ${verb}`;
    }
  };

  // After shutdown: exit once every reply went out (helpers close their connections when they exit).
  let closing = false;
  const exitWhenIdle = () => {
    closing = true;
    server.close();
    setTimeout(() => process.exit(0), 5000);
    if (sockets.size === 0) process.exit(0);
  };
  const server = net.createServer((sock) => {
    let buf = "";
    sockets.add(sock);
    sock.on("close", () => {
      sockets.delete(sock);
      if (closing && sockets.size === 0) process.exit(0);
    });
    sock.on("error", () => {});
    const onData = (d: Buffer) => {
      buf += d.toString("latin1");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      sock.off("data", onData);
      sock.pause();
      const line = Buffer.from(buf.slice(0, nl), "latin1").toString("utf8");
      const rest = Buffer.from(buf.slice(nl + 1), "latin1");
      if (rest.length) sock.unshift(rest);
      handle(line.replace(/\r$/, ""), sock).then(
        (reply) => {
          if (reply !== undefined) sock.end(`${reply}\n`);
        },
        (e: unknown) => sock.end(`err 0x80004005 ${String(e)}\n`),
      );
    };
    sock.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(csPipe(id), resolve);
  });
  ready.end("OK\n");
  // Leak guard: a compute system whose container record is gone (a test that never deleted) ends.
  setInterval(() => {
    try {
      readRecord(root, id);
    } catch (err: unknown) {
      if (err instanceof NotFoundError) void terminateAll().then(() => process.exit(0));
    }
  }, 2000);
}
