/**
 * A private containerd 1.6 for integration tests: its own config, root, state, gRPC and ttrpc sockets
 * under a temp dir, the compiled shim as runtime (by absolute path) and the runhcs simulator as `runhcs`
 * (containerd passes its environment to shims, and shims to runhcs). `ctr()` runs ctr against it;
 * `leftovers()` lists what a test must not leave behind; `stop()` kills everything it started.
 *
 * Processes are recognised by a marker variable in their environment (containerd's env flows to the shim,
 * runhcs and the simulator's helpers; container processes get it through `ctr run --env`).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { platform } from "../../src/platform/index.js";

/** The compiled tree these tests run from (`<dist>/test/integration/` → `<dist>`). */
export const DIST = fileURLToPath(new URL("../../", import.meta.url));
/** The repository (tests run from its root). */
export const REPO = process.cwd();
export const NAMESPACE = "default";
const MARK_ENV = "SHIM_RUNHCS_IT_MARK";
const CTR_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface CtrResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a test left behind (all empty = clean). */
export interface Leftovers {
  processes: string[];
  sockets: string[];
  bundles: string[];
  /** Containers the simulator still has state for (`<root>/<id>`). */
  simContainers: string[];
}

/** How {@link PrivateContainerd.start} names its temp dir. */
export interface PrivateContainerdOptions {
  /** Temp dir name prefix (`<prefix>-<pid>-<time>`), so a demo's paths read as the demo's. */
  prefix?: string;
  /** An executable to use as the runtime instead of bin/ over DIST (e.g. the single executable). */
  shim?: string;
  /** More environment for containerd (and so for the shims and runhcs), e.g. `RUNHCS_SIM_FAULTS`. */
  env?: Record<string, string>;
  /** containerd's log level (default debug, which also passes `-debug` to the shims; benchmarks use info). */
  logLevel?: "info" | "debug";
}

/** True when this machine can run the private containerd (root, containerd and ctr installed). */
export function canRunContainerd(): boolean {
  return (
    process.platform === "linux" &&
    process.getuid?.() === 0 &&
    ["/usr/bin/containerd", "/usr/bin/ctr"].every((p) => existsSync(p))
  );
}

/**
 * The mocha hooks of a suite that runs on one private containerd: the suite is skipped where containerd
 * cannot run (root and the containerd package, scripts/setup.sh), `prepare` runs first (within
 * `prepareTimeoutMs`), `use` receives the running instance, each test is followed by its check that
 * nothing was left (`afterTest`), and containerd stops after the suite.
 */
export function suiteOnPrivateContainerd(
  use: (c: PrivateContainerd) => void,
  opts: { options?: PrivateContainerdOptions; prepare?: () => Promise<void>; prepareTimeoutMs?: number } = {},
): void {
  let c: PrivateContainerd | undefined;
  before(async function () {
    if (!canRunContainerd()) this.skip();
    if (opts.prepareTimeoutMs) this.timeout(opts.prepareTimeoutMs + this.timeout());
    await opts.prepare?.();
    c = await PrivateContainerd.start(opts.options);
    use(c);
  });
  after(async () => {
    await c?.stop();
  });
  afterEach(async function () {
    await c?.afterTest(this.currentTest?.state === "passed");
  });
}

export class PrivateContainerd {
  readonly dir: string;
  readonly address: string;
  readonly ttrpcAddress: string;
  /** An existing directory used as every container's rootfs (processes run on the host). */
  readonly rootfs: string;
  /** Absolute path of the shim entry containerd runs (a copy of bin/ next to a link to DIST). */
  readonly runtime: string;
  readonly simState: string;
  readonly ids = new Set<string>();
  /** Groups (annotation values) whose shared servers the tests started. */
  readonly groups = new Set<string>();
  readonly #extraEnv: Record<string, string>;
  #proc: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  readonly #logLevel: string;

  private constructor(
    prefix: string,
    shim: string | undefined,
    env: Record<string, string>,
    logLevel: string,
  ) {
    this.#extraEnv = env;
    this.#logLevel = logLevel;
    this.dir = join(tmpdir(), `${prefix}-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.address = join(this.dir, "containerd.sock");
    this.ttrpcAddress = `${this.address}.ttrpc`;
    this.rootfs = join(this.dir, "rootfs");
    this.simState = join(this.dir, "sim-state");
    mkdirSync(this.rootfs);
    mkdirSync(this.simState);
    const shimRoot = join(this.dir, "shim");
    mkdirSync(join(shimRoot, "bin"), { recursive: true });
    this.runtime = join(shimRoot, "bin", "containerd-shim-runhcs-v1");
    if (shim) {
      copyFileSync(shim, this.runtime);
      chmodSync(this.runtime, 0o755);
    } else {
      copyFileSync(join(REPO, "bin", "containerd-shim-runhcs-v1"), this.runtime);
      symlinkSync(DIST, join(shimRoot, "dist"));
    }
    writeFileSync(join(this.dir, "config.toml"), this.#config());
  }

  /** Starts a private containerd and waits until `ctr version` answers. */
  static async start(options: PrivateContainerdOptions = {}): Promise<PrivateContainerd> {
    const c = new PrivateContainerd(
      options.prefix ?? "shim-it",
      options.shim,
      options.env ?? {},
      options.logLevel ?? "debug",
    );
    try {
      await c.#launch();
    } catch (err: unknown) {
      await c.stop();
      throw err;
    }
    return c;
  }

  #config(): string {
    const disabled = [
      "io.containerd.grpc.v1.cri",
      "io.containerd.snapshotter.v1.btrfs",
      "io.containerd.snapshotter.v1.zfs",
      "io.containerd.snapshotter.v1.devmapper",
      "io.containerd.snapshotter.v1.aufs",
      "io.containerd.internal.v1.tracing",
      "io.containerd.tracing.processor.v1.otlp",
    ];
    return [
      "version = 2",
      `root = ${JSON.stringify(join(this.dir, "root"))}`,
      `state = ${JSON.stringify(join(this.dir, "state"))}`,
      `disabled_plugins = ${JSON.stringify(disabled)}`,
      "[grpc]",
      `  address = ${JSON.stringify(this.address)}`,
      "[ttrpc]",
      `  address = ${JSON.stringify(this.ttrpcAddress)}`,
      "[debug]",
      `  level = ${JSON.stringify(this.#logLevel)}`,
      "",
    ].join("\n");
  }

  /** containerd's environment, which it hands to the shims. */
  get env(): NodeJS.ProcessEnv {
    const simBin = join(REPO, "test/sim/bin");
    return {
      ...process.env,
      PATH: `${simBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      RUNHCS_BINARY: join(simBin, "runhcs"),
      RUNHCS_SIM_DIST: DIST,
      RUNHCS_SIM_STATE: this.simState,
      [MARK_ENV]: this.dir,
      ...this.#extraEnv,
    };
  }

  /** The bundle directory containerd makes for a task. */
  bundle(id: string): string {
    return join(this.dir, "state", "io.containerd.runtime.v2.task", NAMESPACE, id);
  }

  /** containerd's log so far (for failure messages). */
  log(): string {
    try {
      return readFileSync(join(this.dir, "containerd.log"), "utf8");
    } catch {
      return "";
    }
  }

  async #launch(): Promise<void> {
    const out = join(this.dir, "containerd.log");
    const { openSync, closeSync } = await import("node:fs");
    const fd = openSync(out, "a");
    try {
      const proc = spawn("containerd", ["--config", join(this.dir, "config.toml")], {
        env: this.env,
        stdio: ["ignore", fd, fd],
        detached: false, // Ctrl-C on the test run stops containerd too
      });
      this.#proc = proc;
      this.#exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    } finally {
      closeSync(fd);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.#proc?.exitCode !== null) throw new Error(`containerd exited:\n${this.log().slice(-2000)}`);
      const r = await this.ctr(["version"], { timeoutMs: 5_000 });
      if (r.code === 0) return;
      if (Date.now() > deadline) throw new Error(`containerd did not answer: ${r.stderr}`);
      await sleep(200);
    }
  }

  /** Stops containerd (SIGTERM; tasks and shims live on) and starts it again on the same state. */
  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  /** Stops containerd only (SIGTERM): shims and their tasks live on, containerd is away. */
  down(): Promise<void> {
    return this.#kill();
  }

  /** Starts containerd again on the same state (after {@link down}). */
  up(): Promise<void> {
    return this.#launch();
  }

  async #kill(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (!p?.pid || p.exitCode !== null || p.signalCode !== null) return;
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Runs ctr against this containerd. */
  ctr(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CtrResult> {
    return new Promise((resolve) => {
      const child = execFile(
        "ctr",
        ["--address", this.address, "--namespace", NAMESPACE, ...args],
        { timeout: opts.timeoutMs ?? CTR_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  /** `ctr run` arguments for a container on our runtime: `[...runFlags, id, ...command]`. */
  runArgs(id: string, command: string[], flags: string[] = []): string[] {
    this.ids.add(id);
    return [
      "run",
      ...flags,
      "--runtime",
      this.runtime,
      "--env",
      `${MARK_ENV}=${this.dir}`,
      "--rootfs",
      this.rootfs,
      id,
      ...command,
    ];
  }

  /** Processes carrying our marker (shims, runhcs, simulator helpers, containers), not containerd. */
  markedProcesses(): Array<{ pid: number; cmd: string }> {
    const out: Array<{ pid: number; cmd: string }> = [];
    const marker = `${MARK_ENV}=${this.dir}`;
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid || pid === this.#proc?.pid) continue;
      try {
        const env = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
        if (!env.includes(marker)) continue;
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
        if (cmd === "" || cmd.startsWith("ctr ")) continue; // zombie / our own ctr clients
        out.push({ pid, cmd });
      } catch {
        // gone meanwhile, or not readable
      }
    }
    return out;
  }

  /** The socket path of task `id`'s shim, as containerd derives it. */
  shimSocketOf(id: string): string {
    const addr = platform.createShimAddress();
    return addr.toListenPath(
      addr.socketAddress({ namespace: NAMESPACE, id, containerdAddress: this.address }),
    );
  }

  /** Socket files of our shims that still exist (a group's server's is derived from the group). */
  shimSockets(): string[] {
    return [...this.ids, ...this.groups].map((id) => this.shimSocketOf(id)).filter((p) => existsSync(p));
  }

  /** Everything a finished test must not leave: processes, shim sockets, bundles. */
  leftovers(): Leftovers {
    const stateDir = join(this.dir, "state", "io.containerd.runtime.v2.task", NAMESPACE);
    let bundles: string[] = [];
    try {
      bundles = readdirSync(stateDir);
    } catch {
      bundles = [];
    }
    return {
      processes: this.markedProcesses().map((p) => `${p.pid} ${p.cmd}`),
      sockets: this.shimSockets(),
      bundles,
      simContainers: this.simContainers(),
    };
  }

  /** `<root>/<id>` of every container the simulator still keeps state for. */
  simContainers(): string[] {
    const list = (dir: string) => {
      try {
        return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
      } catch {
        return [];
      }
    };
    return list(this.simState).flatMap((root) =>
      list(join(this.simState, root.name)).map((c) => `${root.name}/${c.name}`),
    );
  }

  /** Waits (bounded) until nothing is left; returns what is left at the end. */
  async settle(timeoutMs = 15_000): Promise<Leftovers> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = this.leftovers();
      const clean = Object.values(left).every((l) => l.length === 0);
      if (clean || Date.now() > deadline) return left;
      await sleep(100);
    }
  }

  /**
   * After a test: waits (bounded) for what it left to go, removes what stays, forgets its ids; a test that
   * passed and left something fails here, with the list.
   */
  async afterTest(passed: boolean): Promise<void> {
    const left = await this.settle();
    const dirty = Object.values(left).some((l) => l.length > 0);
    if (dirty) {
      await this.removeAll();
      await this.settle();
    }
    this.ids.clear();
    this.groups.clear();
    if (passed && dirty) throw new Error(`left behind: ${JSON.stringify(left, null, 2)}`);
  }

  /** Removes every container and task left (a failed test), quietly. */
  async removeAll(): Promise<void> {
    for (const id of this.ids) {
      await this.ctr(["task", "kill", "-s", "SIGKILL", id], { timeoutMs: 10_000 });
      await this.ctr(["task", "delete", "--force", id], { timeoutMs: 20_000 });
      await this.ctr(["container", "rm", id], { timeoutMs: 10_000 });
    }
  }

  /** Kills containerd and everything it started, removes sockets and the temp dir. */
  async stop(): Promise<void> {
    await this.#kill();
    for (const p of this.markedProcesses()) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const s of this.shimSockets()) rmSync(s, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A long-running `ctr events` collecting lines until stopped. */
export class EventWatch {
  readonly #child: ChildProcess;
  #text = "";

  constructor(c: PrivateContainerd) {
    this.#child = spawn("ctr", ["--address", c.address, "events"], { stdio: ["ignore", "pipe", "ignore"] });
    this.#child.stdout?.setEncoding("utf8");
    this.#child.stdout?.on("data", (s: string) => {
      this.#text += s;
    });
  }

  /** Everything `ctr events` printed so far (one event a line). */
  get text(): string {
    return this.#text;
  }

  /** Event lines for container `id` so far. */
  lines(id: string): string[] {
    return this.#text.split("\n").filter((l) => l.includes(`"${id}"`));
  }

  /** Waits until a line with `topic` for `id` arrived. */
  async waitFor(id: string, topic: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines(id).find((l) => l.includes(` ${topic} `));
      if (line) return line;
      if (Date.now() > deadline)
        throw new Error(`no ${topic} event for ${id}; got:\n${this.lines(id).join("\n")}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.#child.once("exit", r));
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill("SIGTERM");
      await exited;
    }
  }
}
