/**
 * The Go ttrpc peer (test/interop/go/ttrpc-peer): built on demand, started and stopped for the interop
 * tests and the benchmarks.
 *
 * It links containerd's own ttrpc (v1.1.1, as containerd 1.6 does) from the Debian Go sources in
 * /usr/share/gocode, built in GOPATH mode so no module download is ever needed. The binary is cached
 * under `.cache/go-peer/<hash of the Go sources and toolchain>/`, so editing a .go file rebuilds it and
 * nothing else does. A missing toolchain is an error, not a skip: `scripts/setup.sh` installs it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/** Where the Go sources live, relative to the repo root. */
export const GO_PEER_SOURCE_DIR = "test/interop/go/ttrpc-peer";
/** The GOPATH holding containerd's ttrpc and its dependencies (Debian golang-*-dev packages). */
export const GOPATH = "/usr/share/gocode";
const TTRPC_SOURCE = join(GOPATH, "src/github.com/containerd/ttrpc");
const BUILD_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** Every process started here and not yet exited: what {@link killAllGoPeers} ends. */
const live = new Set<ChildProcess>();

function goEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH,
    GOPROXY: "off",
    GOFLAGS: "-mod=mod",
  };
  // Without a HOME Go has no default build cache; keep one inside the repo's ignored .cache/.
  if (!env["GOCACHE"] && !env["HOME"]) env["GOCACHE"] = join(root, ".cache/go-build");
  return env;
}

async function goVersion(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileP("go", ["version"], { env });
    return stdout.trim();
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT"
        ? "Go toolchain not found (`go` is not on PATH): run scripts/setup.sh, which installs golang-go and " +
            "containerd's ttrpc sources (golang-github-containerd-ttrpc-dev)"
        : `\`go version\` failed: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

let building: Promise<string> | undefined;

/**
 * Builds the peer if its sources or the toolchain changed and returns the binary's path. Concurrent
 * callers in one process share the build; builds in other processes race safely (temp file + rename).
 */
export function buildGoPeer(root: string = process.cwd()): Promise<string> {
  building ??= doBuild(root).catch((err: unknown) => {
    building = undefined;
    throw err;
  });
  return building;
}

async function doBuild(root: string): Promise<string> {
  const env = goEnv(root);
  const version = await goVersion(env);
  if (!existsSync(TTRPC_SOURCE)) {
    throw new Error(
      `containerd's ttrpc Go sources are missing (${TTRPC_SOURCE}): run scripts/setup.sh ` +
        "(Debian package golang-github-containerd-ttrpc-dev)",
    );
  }
  const srcDir = join(root, GO_PEER_SOURCE_DIR);
  const hash = createHash("sha256").update(version);
  for (const name of (await readdir(srcDir)).filter((n) => n.endsWith(".go")).sort()) {
    hash.update(`\0${name}\0`).update(await readFile(join(srcDir, name)));
  }
  const outDir = join(root, ".cache/go-peer", hash.digest("hex").slice(0, 16));
  const bin = join(outDir, "ttrpc-peer");
  if (existsSync(bin)) return bin;

  await mkdir(outDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await execFileP("go", ["build", "-o", tmp, `./${GO_PEER_SOURCE_DIR}`], {
      cwd: root,
      env,
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 << 20,
    });
    await rename(tmp, bin);
  } catch (err: unknown) {
    await rm(tmp, { force: true });
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`building the Go ttrpc peer failed (${version}):\n${stderr}`, { cause: err });
  }
  return bin;
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/** A running `ttrpc-peer server`. */
export interface GoServer {
  readonly socket: string;
  readonly process: ChildProcess;
  /** What the server wrote on stderr so far (ttrpc logs through logrus there). */
  stderr(): string;
  /** The JSON lines printed after "ready" (the events server prints one per event), parsed. */
  records(): unknown[];
  /** Resolves with the first record (past or future) matching `pred`. */
  waitForRecord(pred: (r: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await waitExit(child);
  clearTimeout(timer);
}

/**
 * Starts a Go server on a unix socket path and waits for its "ready" line: `server` (the test service)
 * or `events-server` (containerd's Events service in front of containerd's events exchange).
 */
export async function startGoServer(
  socket: string,
  opts: { mode?: "server" | "events-server"; root?: string } = {},
): Promise<GoServer> {
  const bin = await buildGoPeer(opts.root);
  // stdin stays an open pipe: the peer exits when it closes, so a crashed test run leaves nothing behind.
  const args = [opts.mode ?? "server", "--socket", socket];
  const child = track(spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] }));
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  let stdout = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Go server did not print ready")), READY_TIMEOUT_MS);
      child.stdout!.setEncoding("utf8").on("data", (s: string) => {
        stdout += s;
        if (stdout.includes("ready\n")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Go server exited (${code ?? signal}) before ready: ${stderr}`));
      });
    });
  } catch (err: unknown) {
    await stopProcess(child);
    throw err;
  }
  const records: unknown[] = [];
  const recordEvents = new EventEmitter();
  let pending = stdout.slice(stdout.indexOf("ready\n") + "ready\n".length);
  const consume = () => {
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      const record: unknown = JSON.parse(line);
      records.push(record);
      recordEvents.emit("record", record);
    }
  };
  child.stdout!.on("data", (s: string) => {
    pending += s;
    consume();
  });
  consume();
  const waitForRecord = (pred: (r: unknown) => boolean, timeoutMs = 20_000) => {
    const found = records.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<unknown>((resolve, reject) => {
      const onRecord = (r: unknown) => {
        if (!pred(r)) return;
        clearTimeout(timer);
        recordEvents.off("record", onRecord);
        resolve(r);
      };
      const timer = setTimeout(() => {
        recordEvents.off("record", onRecord);
        reject(new Error(`no matching record from the Go server; got ${JSON.stringify(records)}`));
      }, timeoutMs);
      recordEvents.on("record", onRecord);
    });
  };
  return {
    socket,
    process: child,
    stderr: () => stderr,
    records: () => records,
    waitForRecord,
    stop: () => stopProcess(child),
  };
}

/** A `ttrpc-peer client|bench` run in progress. */
export interface GoRun<T> {
  readonly process: ChildProcess;
  /** The JSON the peer printed; rejects with its stderr if it failed. */
  readonly result: Promise<T>;
}

/** Runs the peer once (`client` or `bench` mode) and parses the JSON it prints. */
export async function runGoPeer<T = unknown>(
  args: readonly string[],
  opts: { timeoutMs?: number; root?: string } = {},
): Promise<GoRun<T>> {
  const bin = await buildGoPeer(opts.root);
  const child = track(spawn(bin, [...args], { stdio: ["pipe", "pipe", "pipe"] }));
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const result = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 90_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`ttrpc-peer ${args.join(" ")} failed (${code ?? signal}):\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch (err: unknown) {
        reject(new Error(`ttrpc-peer printed no JSON: ${stdout}\n${stderr}`, { cause: err }));
      }
    });
  });
  return { process: child, result };
}

/** Runs one client scenario (`--case`) against the server at `socket`. */
export async function runGoClient<T = unknown>(socket: string, caseName: string): Promise<GoRun<T>> {
  return runGoPeer<T>(["client", "--socket", socket, "--case", caseName]);
}

/** Kills every peer process still running (after hooks): SIGKILL, then waits for the exits. */
export async function killAllGoPeers(): Promise<number> {
  const children = [...live];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map(waitExit));
  return children.length;
}

/** How many peer processes are running (tests assert 0 at the end). */
export function liveGoPeers(): number {
  return live.size;
}
