/**
 * Shared test harness for the runhcs simulator tests: temp state dirs and bundles, running the real
 * `test/sim/bin/runhcs` entry, waiting for detached helpers through /proc and `state`, and killing every
 * process group a test created.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { containerTree, isAlive } from "./proc.js";
import { type ContainerRecord, rootPids } from "./state-store.js";

/** The compiled tree these tests run from (<dist>/test/sim/ → <dist>). */
export const DIST = fileURLToPath(new URL("../../", import.meta.url));
/** The executable entry, as the shim will run it. */
export const RUNHCS = join(process.cwd(), "test/sim/bin/runhcs");
export const REAPER = fileURLToPath(new URL("./reaper.js", import.meta.url));

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One simulated host: a temp dir holding the state dir and bundles, plus process bookkeeping. */
export class Sim {
  readonly dir = mkdtempSync(join(tmpdir(), "runhcs-sim-test-"));
  readonly stateDir = join(this.dir, "state");
  /** Pids (helpers, containers) whose process groups are killed in cleanup. */
  private readonly tracked = new Set<number>();
  private readonly children: ChildProcess[] = [];
  private n = 0;

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, RUNHCS_SIM_STATE: this.stateDir, RUNHCS_SIM_DIST: DIST };
  }

  /** Creates a bundle with a rootfs dir and config.json for `proc` (merged into sane defaults). */
  bundle(proc: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    const b = join(this.dir, `bundle-${this.n++}`);
    mkdirSync(join(b, "rootfs"), { recursive: true });
    const spec = {
      ociVersion: "1.0.2",
      process: { cwd: "/", env: ["PATH=/usr/local/bin:/usr/bin:/bin"], ...proc },
      root: { path: "rootfs" },
      ...extra,
    };
    writeFileSync(join(b, "config.json"), JSON.stringify(spec));
    return b;
  }

  /** A fresh file path in the temp dir. */
  file(name: string, content?: string): string {
    const p = join(this.dir, `${this.n++}-${name}`);
    if (content !== undefined) writeFileSync(p, content);
    return p;
  }

  /**
   * Runs runhcs. With `files`, its stdio are those files (stdin/stdout/stderr, like the shim's pipes) and
   * the result is taken at exit (the helper keeps them open); otherwise pipes are captured until close.
   */
  run(args: string[], files?: { stdin?: string; stdout: string; stderr: string }): Promise<Result> {
    if (files) {
      const fds = [
        files.stdin ? openSync(files.stdin, "r") : "ignore",
        openSync(files.stdout, "a"),
        openSync(files.stderr, "a"),
      ] as const;
      const child = spawn(RUNHCS, args, { env: this.env, stdio: [...fds] });
      for (const fd of fds) if (typeof fd === "number") closeSync(fd);
      return new Promise((resolve) => {
        child.on("exit", (code) => {
          resolve({
            code,
            stdout: readFileSync(files.stdout, "utf8"),
            stderr: readFileSync(files.stderr, "utf8"),
          });
        });
      });
    }
    const child = spawn(RUNHCS, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  }

  /** `state ID` parsed, or undefined when runhcs fails. */
  async state(id: string, args: string[] = []): Promise<Record<string, unknown> | undefined> {
    const r = await this.run([...args, "state", id]);
    return r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  }

  /** Polls `state` until `pred` holds (generous timeout: the machine is shared). */
  async waitState(id: string, pred: (s: Record<string, unknown> | undefined) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state(id);
      if (pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`state of ${id} never matched; last: ${JSON.stringify(s)}`);
      await sleep(100);
    }
  }

  /** Creates a container with stdio files; tracks the helper. Returns the helper pid. */
  async create(
    id: string,
    bundle: string,
    stdio: { stdin?: string; stdout: string; stderr: string },
    globals: string[] = [],
  ) {
    const pidFile = join(bundle, "runhcs-pidfile.pid");
    const r = await this.run([...globals, "create", "--bundle", bundle, "--pid-file", pidFile, id], stdio);
    if (r.code !== 0) throw new Error(`create failed (${r.code}): ${r.stderr}`);
    const pid = Number(readFileSync(pidFile, "utf8"));
    this.track(pid);
    return pid;
  }

  /**
   * Runs a runhcs create/exec under the reaper fixture, which becomes the helper's parent (child subreaper)
   * and reports its real exit status. Resolves once the CLI call exited; `exit` resolves with the status.
   */
  reaped(pidFile: string, args: string[], stdio: { stdout: string; stderr: string }) {
    const out = openSync(stdio.stdout, "a");
    const err = openSync(stdio.stderr, "a");
    const child = spawn(process.execPath, [REAPER, pidFile, RUNHCS, ...args], {
      env: this.env,
      stdio: ["ignore", out, err, "pipe"],
      detached: true,
    });
    closeSync(out);
    closeSync(err);
    this.children.push(child);
    if (child.pid) this.track(child.pid);
    const events: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    let buf = "";
    const pipe = child.stdio[3] as Socket;
    pipe.setEncoding("utf8");
    pipe.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const ev = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        events.push(ev);
        if (ev.event === "pid") this.track(Number(ev.pid));
        for (const w of waiters.splice(0)) w();
      }
    });
    const waitEvent = (name: string, timeoutMs = 30_000) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${name} event; got ${JSON.stringify(events)}`)),
          timeoutMs,
        );
        const check = () => {
          const ev = events.find((e) => e.event === name);
          if (ev) {
            clearTimeout(timer);
            resolve(ev);
          } else waiters.push(check);
        };
        check();
      });
    return { cli: waitEvent("exited-cli"), exit: waitEvent("helper-exit") };
  }

  /** Remembers a pid whose process group must not survive the test. */
  track(pid: number): void {
    if (pid > 0) this.tracked.add(pid);
  }

  /** Every container in the state dir, with its --root, tracking the pids it records. */
  containers(): { root: string; id: string }[] {
    const out: { root: string; id: string }[] = [];
    let roots: string[] = [];
    try {
      roots = readdirSync(this.stateDir);
    } catch {
      return out;
    }
    for (const root of roots) {
      for (const id of readdirSync(join(this.stateDir, root))) {
        if (id.startsWith(".")) continue;
        try {
          const rec = JSON.parse(
            readFileSync(join(this.stateDir, root, id, "state.json"), "utf8"),
          ) as ContainerRecord;
          for (const pid of [
            rec.shimPid,
            rec.initPid,
            ...rootPids(rec),
            ...Object.keys(rec.execs).map(Number),
          ]) {
            this.track(pid);
          }
        } catch {}
        out.push({ root: decodeURIComponent(root), id });
      }
    }
    return out;
  }

  /** Pids still alive among everything tracked and their container trees. */
  survivors(): number[] {
    return containerTree([...this.tracked]).filter((p) => isAlive(p));
  }

  /**
   * `delete --force` for every container left, then kills every tracked process group and tree, waits
   * for them to go and removes the temp dir. Returns the pids that survived the deletes (should be none).
   */
  async cleanup(): Promise<number[]> {
    for (const c of this.containers()) await this.run(["--root", c.root, "delete", "--force", c.id]);
    for (let i = 0; i < 40 && this.survivors().length > 0; i++) await sleep(50);
    const before = this.survivors();
    for (const pid of [...this.tracked, ...before]) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    for (let i = 0; i < 100 && this.survivors().length > 0; i++) await sleep(50);
    for (const c of this.children) c.stdio[3]?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
    return before;
  }
}
