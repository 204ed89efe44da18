/**
 * {@link ChildPipeFactory} for Linux: `pipe2(O_CLOEXEC)` through koffi (Node has no API for a bare pipe).
 *
 * O_CLOEXEC matters: any other process the shim spawns meanwhile (another runhcs call) must not inherit
 * our pipe ends, or EOF would wait for that unrelated process too. `spawn` dup2()s the child ends onto
 * 0..2 in the child, which clears the flag there, so runhcs and its detached helper do inherit them.
 * Our ends become `net.Socket`s (non-blocking, on epoll; the flag is per open file description, so the
 * child ends stay blocking as programs expect).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import type { ChildPipeFactory, ChildPipes, ChildStdio, PipeUse } from "./child-pipes.js";
import { guardErrors } from "./upstream.js";

type Koffi = typeof import("koffi").default;

/** Linux `O_CLOEXEC` (generic value; x86_64 and arm64). */
const O_CLOEXEC = 0o2000000;

let pipe2Fn: (() => [number, number]) | undefined;

/** Binds `pipe2` on first use, so importing this module loads no native library. */
function pipe2(): [number, number] {
  if (!pipe2Fn) {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const fn = koffi.load("libc.so.6").func("int pipe2(_Out_ int *fds, int flags)");
    pipe2Fn = () => {
      const fds = [-1, -1];
      if (fn(fds, O_CLOEXEC) !== 0) throw new Error(`pipe2 failed with errno ${koffi.errno()}`);
      return [fds[0] ?? -1, fds[1] ?? -1];
    };
  }
  return pipe2Fn();
}

/** Creates the pipe2-based factory. */
export function createPosixPipes(): ChildPipeFactory {
  return { create };
}

function create(use: PipeUse): ChildPipes {
  const childFds: number[] = [];
  const ours: net.Socket[] = [];
  /** Makes one pipe; `childReads` picks which end the child gets. */
  const make = (childReads: boolean): { child: number; ours: net.Socket } => {
    const [r, w] = pipe2();
    const [childFd, ourFd] = childReads ? [r, w] : [w, r];
    childFds.push(childFd);
    try {
      const s = guardErrors(new net.Socket({ fd: ourFd, readable: !childReads, writable: childReads }));
      ours.push(s);
      return { child: childFd, ours: s };
    } catch (e: unknown) {
      fs.closeSync(ourFd);
      throw e;
    }
  };
  try {
    const stdin = use.stdin ? make(true) : undefined;
    const stdout = use.stdout ? make(false) : undefined;
    const stderr = use.stderr ? make(false) : undefined;
    let closed = false;
    const slot = (p: { child: number } | undefined): ChildStdio => p?.child ?? "ignore";
    return {
      childStdio: [slot(stdin), slot(stdout), slot(stderr)],
      stdin: stdin?.ours,
      stdout: stdout?.ours,
      stderr: stderr?.ours,
      closeChildEnds() {
        if (closed) return;
        closed = true;
        for (const fd of childFds) fs.closeSync(fd);
      },
    };
  } catch (e: unknown) {
    for (const fd of childFds) fs.closeSync(fd);
    for (const s of ours) s.destroy();
    throw e;
  }
}
