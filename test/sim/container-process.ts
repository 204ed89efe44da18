/**
 * Runs one container process for a helper: without a terminal it inherits the helper's own stdio fds (the
 * handles `runhcs create/exec` got from the caller), with `terminal: true` it runs on a pty whose output
 * goes to the helper's stdout and whose input is the helper's stdin (runhcs relays an HCS console the same
 * way). Either way the process is a session leader, so the container tree can be found by session.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, fstatSync } from "node:fs";
import { Socket } from "node:net";
import { envObject, hostCwd, type ProcessSpec, resolveExecutable } from "./oci.js";
import { spawnPty } from "./pty.js";
import { signalExitCode } from "./signals.js";

/** A started container process. */
export interface ContainerProcess {
  pid: number;
  /** Resolves with the exit code (128 + signo for a signal death) once output has been flushed. */
  exited: Promise<number>;
  /** Resizes the pty; false when there is none. */
  resize(width: number, height: number): boolean;
}

const DEFAULT_COLS = 80;
const DEFAULT_ROWS = 24;

/** Starts the process synchronously (the pid is known on return) or throws a runhcs-style error. */
export async function startProcess(spec: ProcessSpec, bundle: string): Promise<ContainerProcess> {
  const cwd = hostCwd(spec, bundle);
  const env = envObject(spec.env);
  const [file, ...args] = spec.args as [string, ...string[]];
  const exe = resolveExecutable(file, env, cwd);
  if (spec.terminal) return startPty(exe, args, cwd, env, spec);

  const child = spawn(exe, args, { cwd, env, stdio: "inherit", detached: true, argv0: file });
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new Error(`failed to start process: ${err.message}`);
  }
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? signalExitCode(signal) : (code ?? 1)));
  });
  return { pid: child.pid, exited, resize: () => false };
}

function startPty(
  exe: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  spec: ProcessSpec,
): ContainerProcess {
  const size = spec.consoleSize;
  const term = spawnPty(exe, args, {
    cols: size && size.width > 0 ? size.width : DEFAULT_COLS,
    rows: size && size.height > 0 ? size.height : DEFAULT_ROWS,
    cwd,
    env: { ...env, TERM: env.TERM ?? "xterm" },
  });
  const out = createWriteStream("", { fd: 1, autoClose: false });
  out.on("error", () => {});
  term.onData((d) => out.write(d));
  const input = stdinStream();
  input.on("data", (d) => term.write(d));
  input.on("error", () => {});
  // spawnPty reports the exit after the terminal's last output: flush that to stdout, then report.
  const exited = term.exited.then(
    ({ exitCode, signal }) =>
      new Promise<number>((resolve) => out.end(() => resolve(signal ? signalExitCode(signal) : exitCode))),
  );
  return {
    pid: term.pid,
    exited,
    resize: (width, height) => {
      term.resize(width, height);
      return true;
    },
  };
}

/**
 * The helper's stdin as a stream. A pipe or socket is read through libuv (net.Socket): a blocking
 * fs read in the thread pool would keep the helper from exiting while the writer (ctr -t) keeps
 * stdin open. Files and /dev/null end on their own and are read as files.
 */
function stdinStream(): NodeJS.ReadableStream {
  const st = fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    return new Socket({ fd: 0, readable: true, writable: false });
  }
  return createReadStream("", { fd: 0, autoClose: false });
}
