/**
 * {@link ChildPipeFactory} for Windows — not implemented yet.
 *
 * The intended shape mirrors go-runc's `NewPipeIO`: `CreatePipe` (kernel32, through koffi) for each stream,
 * the child ends made available to `spawn` as descriptors of Node's own C runtime, our ends opened with
 * `net.Socket({ fd })` (libuv drives non-overlapped anonymous pipes with a reader thread). The open question
 * that cannot be settled on this Linux machine is mapping a raw HANDLE to a descriptor of node.exe's
 * statically linked CRT; until it is verified on Windows, `create` fails with a clear NotImplementedError
 * instead of producing pipes that might not be inherited by the `runhcs shim` helper.
 */
import { NotImplementedError } from "../errdefs.js";
import type { ChildPipeFactory } from "./child-pipes.js";

/** The Windows pipe factory placeholder: every `create` throws NotImplementedError. */
export function createWindowsPipes(): ChildPipeFactory {
  return {
    create() {
      throw new NotImplementedError("stdio pipes for runhcs on Windows");
    },
  };
}
