import assert from "node:assert/strict";
import fs from "node:fs";
import { createPosixOpener, createPosixPipes, createProcessIO } from "../../../src/stdio/index.js";
import {
  fdCount,
  fdSnapshot,
  fdsOpenedSince,
  holdFifo,
  mkfifos,
  spawnContainer,
  tempDir,
  within,
} from "./helpers.js";

/**
 * The descriptor count once it is back to `expected`, or after 1 s: an fd of a call still in flight
 * elsewhere in the process (a timer's FIFO drain, libuv's thread pool) can be open at the moment of one
 * count; a leaked one stays.
 */
async function settledFdCount(expected: number): Promise<number> {
  for (let i = 0; i < 20 && fdCount() !== expected; i++) await new Promise((r) => setTimeout(r, 50));
  return fdCount();
}

/** Full create → spawn → outputDone → close cycles, with real FIFOs and a real writing child. */
const CYCLES = 200;

describe("stdio descriptor hygiene", () => {
  it(`${CYCLES} create/spawn/close cycles leave /proc/self/fd unchanged`, async () => {
    const tmp = tempDir();
    const held: number[] = [];
    try {
      const [stdin, stdout, stderr] = (await mkfifos(tmp.dir, "in", "out", "err")) as [
        string,
        string,
        string,
      ];
      // containerd's ends, kept open (read-write, so the shim's write-opens always find a reader).
      held.push(holdFifo(stdout), holdFifo(stderr));
      const drain = setInterval(() => drainFifos(held), 50);
      const opts = { opener: createPosixOpener(), pipes: createPosixPipes() };
      const cycle = async (): Promise<void> => {
        const io = await createProcessIO({ stdin, stdout, stderr, terminal: false }, opts);
        const c = spawnContainer(io, "echo out; echo err >&2");
        try {
          assert.equal(await within(c.exited, 10_000, "child exit"), 0);
          await within(io.outputDone, 10_000, "outputDone");
        } finally {
          c.kill();
          await io.close();
        }
      };
      try {
        for (let i = 0; i < 5; i++) await cycle(); // warm-up: lazy library loads, libuv internals
        const before = fdCount();
        const snapshot = fdSnapshot();
        for (let i = 0; i < CYCLES; i++) await cycle();
        assert.deepEqual(fdsOpenedSince(snapshot), [], "descriptors leaked");
        assert.equal(await settledFdCount(before), before, "descriptor count changed");
        // And a failing create (stderr missing) does not leak either.
        for (let i = 0; i < 50; i++) {
          await assert.rejects(
            createProcessIO({ stdin, stdout, stderr: `${tmp.dir}/missing`, terminal: false }, opts),
          );
        }
        assert.deepEqual(fdsOpenedSince(snapshot), [], "descriptors leaked by failed creates");
        assert.equal(await settledFdCount(before), before, "descriptor count changed after failed creates");
      } finally {
        clearInterval(drain);
      }
    } finally {
      for (const fd of held) fs.closeSync(fd);
      tmp.remove();
    }
  }).timeout(120_000);
});

/** Empties what the children wrote into the held FIFOs (non-blocking reads until EAGAIN). */
function drainFifos(fds: readonly number[]): void {
  const buf = Buffer.alloc(65536);
  for (const fd of fds) {
    try {
      while (fs.readSync(fd, buf) > 0) {
        // keep reading
      }
    } catch {
      // EAGAIN: empty
    }
  }
}
