/**
 * {@link ChildPipeFactory} for Windows: libuv's own `uv_pipe`, called through koffi in the running
 * `node.exe` (which exports libuv for native addons).
 *
 * Why `uv_pipe` and not kernel32 `CreatePipe`: `spawn` takes a child end as a descriptor of node.exe's
 * statically linked C runtime (libuv maps it back with `_get_osfhandle`), and only code inside node.exe
 * can put a HANDLE into that descriptor table; `uv_pipe` does exactly that (`_open_osfhandle`). It
 * also gives each end the mode it needs, as libuv does for `stdio: 'pipe'`:
 * - it is a named pipe pair with a random `\\.\pipe\uv\...` name, both ends NOT inheritable (so another
 *   runhcs call spawned meanwhile does not inherit them; `spawn` duplicates the child end as an
 *   inheritable handle for its child only, and the `runhcs shim` helper inherits it from runhcs);
 * - our end is overlapped (`UV_NONBLOCK_PIPE`): `net.Socket({ fd })` → `uv_pipe_open` drives it on
 *   the I/O completion port, and closing it cancels pending reads at once;
 * - the child end is synchronous, as programs expect from stdio (an anonymous `CreatePipe` pipe would be
 *   synchronous on OUR side too, which libuv can only serve with a blocking reader thread).
 * Verified under Wine with the Windows node 20 (test/wine). On Linux the same libuv call makes a
 * `pipe2(O_CLOEXEC)` pair, which lets the Linux unit tests run this exact code.
 */
import { createRequire } from "node:module";
import { getSystemErrorName } from "node:util";
import type { ChildPipeFactory, ChildPipes, PipeUse } from "./child-pipes.js";
import { createFdPipes } from "./fd-pipes.js";

type Koffi = typeof import("koffi").default;

/** libuv `UV_NONBLOCK_PIPE` (= `UV_OVERLAPPED_PIPE`): that end is overlapped / O_NONBLOCK. */
const UV_NONBLOCK_PIPE = 0x40;

let uvPipeFn: ((fds: number[], readFlags: number, writeFlags: number) => number) | undefined;

/** `uv_pipe(fds, read_flags, write_flags)` from this process's own libuv; bound on first use. */
function uvPipe(ourEndReads: boolean): [read: number, write: number] {
  if (!uvPipeFn) {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    // load(null): the main program (node / node.exe), whose exports include libuv.
    uvPipeFn = koffi.load(null).func("int uv_pipe(_Out_ int *fds, int read_flags, int write_flags)") as (
      fds: number[],
      readFlags: number,
      writeFlags: number,
    ) => number;
  }
  const fds = [-1, -1];
  const rc = uvPipeFn(fds, ourEndReads ? UV_NONBLOCK_PIPE : 0, ourEndReads ? 0 : UV_NONBLOCK_PIPE);
  if (rc !== 0) throw new Error(`uv_pipe failed: ${getSystemErrorName(rc)}`);
  return [fds[0] ?? -1, fds[1] ?? -1];
}

/** Creates the `uv_pipe`-based factory. */
export function createWindowsPipes(): ChildPipeFactory {
  return {
    create: (use: PipeUse): ChildPipes =>
      createFdPipes(use, (childReads) => {
        const [r, w] = uvPipe(!childReads);
        return childReads ? { child: r, ours: w } : { child: w, ours: r };
      }),
  };
}
