/**
 * Upstream opener for Linux/POSIX: containerd (ctr's cio) creates FIFOs and opens its own ends before
 * it sends the paths, so the shim opens the other ends without ever blocking a thread:
 *
 * - stdin: `O_RDONLY|O_NONBLOCK` never blocks. Reads stay quiet until a writer has connected (Linux
 *   reports POLLHUP only after a writer that connected since our open has gone), so an early open does
 *   not produce a false EOF; once containerd closes its write end we see EOF.
 * - stdout/stderr: `O_WRONLY|O_NONBLOCK` succeeds at once when a reader exists and fails with ENXIO
 *   otherwise; we retry until {@link UPSTREAM_OPEN_TIMEOUT_MS}. A blocking `open` would hold one of
 *   libuv's four pool threads for as long as containerd takes.
 *
 * Both ends are wrapped in `net.Socket` (libuv pipe handles on epoll), not `fs` streams, whose reads
 * would each park a pool thread on an idle FIFO.
 */
import fs from "node:fs";
import net from "node:net";
import type { Readable, Writable } from "node:stream";
import { InvalidArgumentError } from "../errdefs.js";
import type { StdioRole } from "./target.js";
import {
  delay,
  errnoCode,
  guardErrors,
  type OpenerTiming,
  openAppendFile,
  openerTiming,
  openFd,
  type UpstreamOpener,
  type UpstreamOpenerOptions,
  type UpstreamTarget,
  upstreamError,
} from "./upstream.js";

/** Creates the FIFO-based {@link UpstreamOpener}. */
export function createPosixOpener(options: UpstreamOpenerOptions = {}): UpstreamOpener {
  return new PosixOpener(openerTiming(options));
}

class PosixOpener implements UpstreamOpener {
  readonly flavor = "posix" as const;

  constructor(private readonly timing: OpenerTiming) {}

  async openReader(target: UpstreamTarget, role: StdioRole): Promise<Readable> {
    const fifo = fifoPath(target, role);
    let fd: number;
    try {
      fd = await openFd(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e: unknown) {
      throw upstreamError(role, fifo, e);
    }
    return wrapFifo(fd, fifo, role, "read");
  }

  async openWriter(target: UpstreamTarget, role: StdioRole): Promise<Writable> {
    if (target.kind === "file") return openAppendFile(target.path, role);
    const fifo = fifoPath(target, role);
    const deadline = Date.now() + this.timing.timeoutMs;
    for (;;) {
      try {
        const fd = await openFd(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        return await wrapFifo(fd, fifo, role, "write");
      } catch (e: unknown) {
        if (errnoCode(e) !== "ENXIO")
          throw e instanceof InvalidArgumentError ? e : upstreamError(role, fifo, e);
        if (Date.now() >= deadline) throw upstreamError(role, fifo, e, true);
      }
      await delay(this.timing.retryDelayMs);
    }
  }
}

function fifoPath(target: UpstreamTarget, role: StdioRole): string {
  if (target.kind === "path") return target.path;
  throw new InvalidArgumentError(`${role}: ${target.kind} targets are not supported on this platform`);
}

/** Checks that `fd` is a FIFO and hands it to a `net.Socket`; closes it on any failure. */
async function wrapFifo(
  fd: number,
  fifo: string,
  role: StdioRole,
  dir: "read" | "write",
): Promise<net.Socket> {
  try {
    const st = await new Promise<fs.Stats>((resolve, reject) =>
      fs.fstat(fd, (err, s) => (err ? reject(err) : resolve(s))),
    );
    if (!st.isFIFO()) throw new InvalidArgumentError(`${role} ${JSON.stringify(fifo)}: not a FIFO`);
    return guardErrors(new net.Socket({ fd, readable: dir === "read", writable: dir === "write" }));
  } catch (e: unknown) {
    fs.closeSync(fd);
    throw e instanceof InvalidArgumentError ? e : upstreamError(role, fifo, e);
  }
}
