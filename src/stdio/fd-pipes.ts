/**
 * The platform-independent half of a {@link ChildPipeFactory}: given a way to make one OS pipe as two
 * descriptors of this process's C runtime, builds the three {@link ChildPipes} (our ends as `net.Socket`s,
 * the child ends as descriptors for `spawn`). `posix-pipes.ts` makes the pipe with `pipe2`,
 * `windows-pipes.ts` with libuv's `uv_pipe`.
 */
import fs from "node:fs";
import net from "node:net";
import type { ChildPipes, ChildStdio, PipeUse } from "./child-pipes.js";
import { guardErrors } from "./upstream.js";

/**
 * Makes one pipe; `childReads` says which end the child gets (true: the child reads, we write).
 * Both descriptors must be non-inheritable (close-on-exec): `spawn` makes its own inheritable copies.
 */
export type MakePipe = (childReads: boolean) => { child: number; ours: number };

/** Creates the pipes `use` asks for; nothing is left open when it throws. */
export function createFdPipes(use: PipeUse, makePipe: MakePipe): ChildPipes {
  const childFds: number[] = [];
  const ours: net.Socket[] = [];
  const make = (childReads: boolean): { child: number; ours: net.Socket } => {
    const { child, ours: ourFd } = makePipe(childReads);
    childFds.push(child);
    try {
      const s = guardErrors(new net.Socket({ fd: ourFd, readable: !childReads, writable: childReads }));
      ours.push(s);
      return { child, ours: s };
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
