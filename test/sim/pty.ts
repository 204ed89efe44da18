/**
 * A process on a pseudo-terminal whose output is complete when its exit is reported (tests only).
 *
 * Two ways the tail of a terminal's output gets lost, both seen here as `ctr run -t` losing its last line:
 * - Linux (6.18 here) can answer a master read with EIO once the slave is closed while output is still
 *   queued: a process that writes ~10 KB and exits loses the last few KB about one run in five, when the
 *   reader lags a little.
 * - `@lydell/node-pty`'s UnixTerminal destroys the master 200 ms after the exit callback if it has not read
 *   EOF by then (`DESTROY_SOCKET_TIMEOUT_MS`): a stalled event loop throws the rest away.
 * So this module uses the package's native binding (the same fork: the process is a session leader with
 * the terminal as its controlling tty), keeps a slave fd of its own open so the slave never closes under
 * unread output, and after the exit writes an end marker through that fd: output is in order, so once the
 * marker is read every byte the process wrote has been delivered. Only if the marker never comes (a
 * stopped terminal) does it give up after {@link END_GRACE_MS}, reading what the master still holds first.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { ReadStream } from "node:tty";

interface NativePty {
  fork(
    file: string,
    args: string[],
    env: string[],
    cwd: string,
    cols: number,
    rows: number,
    uid: number,
    gid: number,
    utf8: boolean,
    helperPath: string,
    onExit: (code: number, signal: number) => void,
  ): { fd: number; pid: number; pty: string };
  resize(fd: number, cols: number, rows: number): void;
}

/** How long to wait for the end marker after the exit before reporting it anyway. */
export const END_GRACE_MS = 2_000;

export interface PtyOptions {
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
}

export interface PtyProcess {
  readonly pid: number;
  /** Everything the terminal outputs, in order, until EOF. */
  onData(listener: (chunk: Buffer) => void): void;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  /** The exit, reported after the last output chunk; `signal` is 0 unless a signal ended the process. */
  readonly exited: Promise<{ exitCode: number; signal: number }>;
}

let native: NativePty | undefined;
function binding(): NativePty {
  native ??= createRequire(import.meta.url)(
    `@lydell/node-pty-${process.platform}-${process.arch}/pty.node`,
  ) as NativePty;
  return native;
}

/** Whether the native binding loads here (a prebuilt binary exists for this platform). */
export function ptyLoads(): boolean {
  try {
    binding();
    return true;
  } catch {
    return false;
  }
}

/** Starts `file` with `args` on a new pty of the given size (throws if the binding does not load). */
export function spawnPty(file: string, args: string[], opts: PtyOptions): PtyProcess {
  const pty = binding();
  let onExit!: (code: number, signal: number) => void;
  const exitCallback = new Promise<{ exitCode: number; signal: number }>((resolve) => {
    onExit = (exitCode, signal) => resolve({ exitCode, signal });
  });
  const env = Object.entries({ ...opts.env, PWD: opts.cwd }).map(([k, v]) => `${k}=${v}`);
  const term = pty.fork(file, args, env, opts.cwd, opts.cols, opts.rows, -1, -1, true, "", onExit);
  const slave = holdSlave(term.pty);
  const master = new ReadStream(term.fd);
  const tail = new EndMarker();
  const listeners: Array<(chunk: Buffer) => void> = [];
  const take = (chunk: Buffer) => {
    for (const c of tail.take(chunk)) for (const l of listeners) l(c);
  };
  master.on("data", take);
  // EIO is the master's EOF: the slave closed (only possible here if holdSlave lost the race).
  const eof = new Promise<void>((resolve) => {
    master.once("error", () => resolve());
    master.once("close", () => resolve());
  });

  const exited = exitCallback.then(async (status) => {
    if (slave !== undefined && tail.arm(slave)) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<"grace">((resolve) => {
        timer = setTimeout(() => resolve("grace"), END_GRACE_MS);
      });
      if ((await Promise.race([tail.seen, eof, grace])) === "grace") readNow(term.fd, take);
      clearTimeout(timer);
    }
    for (const c of tail.flush()) for (const l of listeners) l(c);
    master.destroy();
    if (slave !== undefined) closeSync(slave);
    return status;
  });

  return {
    pid: term.pid,
    onData: (l) => listeners.push(l),
    write: (data) => master.write(data),
    resize: (cols, rows) => pty.resize(term.fd, cols, rows),
    exited,
  };
}

/** Our own fd of the slave (not a controlling tty for us); undefined if the process already closed it. */
function holdSlave(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

/** Reads, without waiting, what the master holds now. */
function readNow(fd: number, take: (chunk: Buffer) => void): void {
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n = 0;
    try {
      n = readSync(fd, buf);
    } catch {
      return; // EAGAIN: nothing more; EIO: closed and empty
    }
    if (n <= 0) return;
    take(Buffer.from(buf.subarray(0, n)));
  }
}

/**
 * The end marker written through the slave after the exit: the output before it is passed on, the marker
 * and anything after it are not. Uppercase letters and digits only, so no output processing changes it.
 */
class EndMarker {
  readonly #marker = Buffer.from(`SIMPTYEND${randomBytes(8).toString("hex").toUpperCase()}`);
  #armed = false;
  #done = false;
  #held = Buffer.alloc(0);
  #resolve!: () => void;
  readonly seen = new Promise<"seen">((resolve) => {
    this.#resolve = () => resolve("seen");
  });

  /** Writes the marker; false if the terminal does not take it now (nothing to wait for then). */
  arm(slave: number): boolean {
    try {
      if (writeSync(slave, this.#marker) !== this.#marker.length) return false;
    } catch {
      return false;
    }
    this.#armed = true;
    return true;
  }

  /** The part of `chunk` to pass on now (before arming: all of it). */
  take(chunk: Buffer): Buffer[] {
    if (this.#done) return [];
    if (!this.#armed) return [chunk];
    const buf = Buffer.concat([this.#held, chunk]);
    const at = buf.indexOf(this.#marker);
    if (at >= 0) {
      this.#done = true;
      this.#held = Buffer.alloc(0);
      this.#resolve();
      return at > 0 ? [buf.subarray(0, at)] : [];
    }
    // Hold back what could be the start of a marker split across reads.
    const keep = Math.min(buf.length, this.#marker.length - 1);
    this.#held = buf.subarray(buf.length - keep);
    return keep < buf.length ? [buf.subarray(0, buf.length - keep)] : [];
  }

  /** What is still held back when we stop reading without having seen the marker. */
  flush(): Buffer[] {
    const held = this.#done ? [] : [this.#held].filter((b) => b.length > 0);
    this.#done = true;
    return held;
  }
}
