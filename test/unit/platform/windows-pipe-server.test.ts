/**
 * SecurePipeServer's Win32 calls, recorded by fakes (the real calls run in test/wine/pipe-security.test.ts):
 * every instance gets the security descriptor and PIPE_REJECT_REMOTE_CLIENTS, only the first one
 * FILE_FLAG_FIRST_PIPE_INSTANCE; an accepted instance is adopted and replaced; close releases everything.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { Kernel32 } from "../../../src/platform/windows-kernel32.js";
import type { CreatePipeArgs, PendingConnect, PipeApi } from "../../../src/platform/windows-pipe-api.js";
import {
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  PENDING_INSTANCES,
  PIPE_ACCESS_DUPLEX,
  PIPE_REJECT_REMOTE_CLIENTS,
  SecurePipeServer,
  SHIM_PIPE_SDDL,
} from "../../../src/platform/windows-pipe-server.js";

function fakes() {
  const log: string[] = [];
  const creates: CreatePipeArgs[] = [];
  const waits = new Map<unknown, () => void>();
  let n = 0;
  const api: PipeApi = {
    securityDescriptor: (sddl) => {
      log.push(`sd ${sddl}`);
      return "SD";
    },
    freeSecurityDescriptor: (sd) => log.push(`free ${sd}`),
    createNamedPipe: (a) => {
      creates.push(a);
      return `pipe${++n}`;
    },
    connect: (pipe) => ({ overlapped: `ov-${pipe}`, event: `ev-${pipe}` }) as PendingConnect,
    finishConnect: (pipe, _op, wait) => {
      log.push(`finish ${pipe}${wait ? " wait" : ""}`);
      return !wait;
    },
    cancel: (pipe) => log.push(`cancel ${pipe}`),
    release: (op) => log.push(`release ${op.event}`),
    closeHandle: (h) => log.push(`close ${h}`),
    adopt: (pipe) => {
      log.push(`adopt ${pipe}`);
      return new PassThrough() as never;
    },
  };
  const kernel32 = {
    registerWait: (h: unknown, cb: () => void) => {
      waits.set(`wait-${h}`, cb);
      return `wait-${h}`;
    },
    unregisterWait: (w: unknown) => {
      waits.delete(w);
      log.push(`unregister ${w}`);
    },
  } as unknown as Kernel32;
  return { api, kernel32, log, creates, waits };
}

describe("platform/windows-pipe-server (fake Win32)", () => {
  it("creates every instance with the descriptor and PIPE_REJECT_REMOTE_CLIENTS, only the first as FIRST", () => {
    const f = fakes();
    const ln = new SecurePipeServer("\\\\.\\pipe\\x", SHIM_PIPE_SDDL, {
      api: () => f.api,
      kernel32: () => f.kernel32,
    });
    try {
      assert.equal(f.creates.length, PENDING_INSTANCES);
      assert.deepEqual(f.log[0], "sd D:P(A;;GA;;;SY)(A;;GA;;;BA)");
      f.creates.forEach((c, i) => {
        assert.equal(c.name, "\\\\.\\pipe\\x");
        assert.equal(c.securityDescriptor, "SD");
        assert.equal(c.pipeMode & PIPE_REJECT_REMOTE_CLIENTS, PIPE_REJECT_REMOTE_CLIENTS);
        const base = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
        assert.equal(c.openMode, i === 0 ? base | FILE_FLAG_FIRST_PIPE_INSTANCE : base);
      });
    } finally {
      ln.close();
    }
  });

  it("adopts a connected instance, replaces it; close cancels, waits, releases and frees", async () => {
    const f = fakes();
    const ln = new SecurePipeServer("\\\\.\\pipe\\x", SHIM_PIPE_SDDL, {
      api: () => f.api,
      kernel32: () => f.kernel32,
    });
    const conns: unknown[] = [];
    ln.on("connection", (s) => conns.push(s));
    f.waits.get("wait-ev-pipe2")?.();
    assert.equal(conns.length, 1);
    assert.ok(f.log.includes("adopt pipe2"));
    assert.ok(f.log.includes("release ev-pipe2"));
    assert.equal(f.creates.length, PENDING_INSTANCES + 1);
    assert.equal(f.creates.at(-1)?.openMode, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED);
    assert.equal((f.creates.at(-1)?.pipeMode ?? 0) & PIPE_REJECT_REMOTE_CLIENTS, PIPE_REJECT_REMOTE_CLIENTS);
    f.log.length = 0;
    const closed = new Promise((r) => ln.once("close", r));
    ln.close();
    await closed;
    for (const p of ["pipe1", "pipe3", "pipe4", "pipe5"]) {
      const at = f.log.indexOf(`cancel ${p}`);
      assert.ok(at >= 0, `${p} not cancelled: ${f.log}`);
      assert.deepEqual(f.log.slice(at - 1, at + 4), [
        `unregister wait-ev-${p}`,
        `cancel ${p}`,
        `finish ${p} wait`,
        `release ev-${p}`,
        `close ${p}`,
      ]);
    }
    assert.equal(f.log.at(-1), "free SD");
    assert.ok(!f.log.includes("close pipe2"), "the adopted instance belongs to its socket");
  });
});
