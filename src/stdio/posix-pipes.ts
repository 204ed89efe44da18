/**
 * {@link ChildPipeFactory} for Linux: `pipe2(O_CLOEXEC)` through koffi (Node has no API for a bare pipe).
 *
 * O_CLOEXEC matters: any other process the shim spawns meanwhile (another runhcs call) must not inherit
 * our pipe ends, or EOF would wait for that unrelated process too. `spawn` dup2()s the child ends onto
 * 0..2 in the child, which clears the flag there, so runhcs and its detached helper do inherit them.
 * Our ends become `net.Socket`s (non-blocking, on epoll; the flag is per open file description, so the
 * child ends stay blocking as programs expect).
 */
import { createRequire } from "node:module";
import type { ChildPipeFactory, ChildPipes, PipeUse } from "./child-pipes.js";
import { createFdPipes } from "./fd-pipes.js";

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
  return {
    create: (use: PipeUse): ChildPipes =>
      createFdPipes(use, (childReads) => {
        const [r, w] = pipe2();
        return childReads ? { child: r, ours: w } : { child: w, ours: r };
      }),
  };
}
