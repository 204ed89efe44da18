/**
 * The real koffi binding of kernel32, exercised on Linux against a stand-in C library with the same
 * exports. What this verifies: the signatures parse and marshal (out-parameters, FILETIME structs, opaque
 * handles, the uint32 exit code, GetLastError), the access rights asked for, and koffi delivers a
 * registered callback fired from a FOREIGN thread (as the Windows thread pool does) to the JS main
 * thread. What it cannot verify: Win32 itself (test/wine does, under Wine).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError } from "../../../src/errdefs.js";
import {
  bindKernel32,
  fileTimeToDate,
  type Kernel32,
  kernel32Signatures,
  Win32Error,
} from "../../../src/platform/windows-kernel32.js";
import { WindowsProcessWaiter } from "../../../src/platform/windows-waiter.js";

type Koffi = typeof import("koffi").default;
const koffi = createRequire(import.meta.url)("koffi") as Koffi;

const STAND_IN = `
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef void (*cb_t)(uintptr_t, uint8_t);
typedef struct { int live, exited, denied; uint32_t code; uint32_t created_lo, created_hi; } proc_t;
typedef struct { uint32_t lo, hi; } filetime_t;
typedef struct { proc_t *p; cb_t cb; uintptr_t ctx; int used, cancelled, fired; } wait_t;

static proc_t procs[128];
static wait_t waits[1024];
static int nwaits, open_handles;
static uint32_t last_error, last_access, times_error;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *fire(void *arg) {
  wait_t *w = arg;
  usleep(1000);
  if (!w->cancelled) w->cb(w->ctx, 0); /* from this foreign thread, like the Windows thread pool */
  return 0;
}
static void fire_later(wait_t *w) {
  pthread_t t;
  if (w->fired) return;
  w->fired = 1;
  pthread_create(&t, 0, fire, w);
  pthread_detach(t);
}

void FakeSpawn(uint32_t pid) { memset(&procs[pid], 0, sizeof procs[pid]); procs[pid].live = 1; }
void FakeExit(uint32_t pid, uint32_t code) {
  pthread_mutex_lock(&mu);
  procs[pid].exited = 1; procs[pid].code = code;
  for (int i = 0; i < nwaits; i++) if (waits[i].used && waits[i].p == &procs[pid] && !waits[i].cancelled) fire_later(&waits[i]);
  pthread_mutex_unlock(&mu);
}
int FakeOpenHandles(void) { return open_handles; }
void FakeCreated(uint32_t pid, uint32_t lo, uint32_t hi) { procs[pid].created_lo = lo; procs[pid].created_hi = hi; }
void FakeDeny(uint32_t pid) { procs[pid].denied = 1; }
void FakeFailTimes(uint32_t code) { times_error = code; }
uint32_t FakeLastAccess(void) { return last_access; }

void *OpenProcess(uint32_t access, int inherit, uint32_t pid) {
  last_access = access;
  if (pid >= 128 || !procs[pid].live || inherit) { last_error = 87; return 0; }
  if (access != (0x100000 | 0x1000) && access != 0x1000) { last_error = 87; return 0; }
  if (procs[pid].denied) { last_error = 5; return 0; }
  open_handles++;
  return &procs[pid];
}
int GetProcessTimes(void *h, filetime_t *creation, filetime_t *exit, filetime_t *kernel, filetime_t *user) {
  proc_t *p = h;
  if (times_error) { last_error = times_error; return 0; }
  creation->lo = p->created_lo; creation->hi = p->created_hi;
  exit->lo = p->exited ? 0x80000000u : 0; exit->hi = 0; /* any non-zero time once exited */
  kernel->lo = kernel->hi = 7; user->lo = user->hi = 9;
  return 1;
}
int RegisterWaitForSingleObject(void **out, void *obj, cb_t cb, uintptr_t ctx, uint32_t ms, uint32_t flags) {
  if (ms != 0xffffffffu || flags != 8 || nwaits >= 1024) { last_error = 87; return 0; }
  pthread_mutex_lock(&mu);
  wait_t *w = &waits[nwaits++];
  w->p = obj; w->cb = cb; w->ctx = ctx; w->used = 1;
  *out = w;
  open_handles++;
  if (w->p->exited) fire_later(w);
  pthread_mutex_unlock(&mu);
  return 1;
}
int UnregisterWait(void *h) { wait_t *w = h; w->cancelled = 1; open_handles--; return 1; }
int GetExitCodeProcess(void *h, uint32_t *code) { proc_t *p = h; *code = p->exited ? p->code : 259; return 1; }
int CloseHandle(void *h) { (void)h; open_handles--; return 1; }
uint32_t GetLastError(void) { return last_error; }
`;

describe("platform/windows-kernel32 signatures", () => {
  it("every declaration parses with koffi (on any OS)", () => {
    const { functions } = kernel32Signatures(koffi);
    for (const [name, [result, args]] of Object.entries(functions)) {
      assert.doesNotThrow(() => koffi.proto("__stdcall", null, result, args), name);
    }
  });
});

describe("platform/windows-kernel32 fileTimeToDate", () => {
  it("100 ns intervals since 1601 → Date (ms, truncated); the two DWORDs unsigned; zero → undefined", () => {
    const ft = (t: bigint) => ({
      dwLowDateTime: Number(t & 0xffff_ffffn) | 0, // as a signed int, to check the unsigned reading
      dwHighDateTime: Number(t >> 32n) | 0,
    });
    assert.equal(fileTimeToDate(ft(116_444_736_000_000_000n))?.getTime(), 0);
    assert.equal(fileTimeToDate(ft(116_444_736_000_009_999n))?.getTime(), 0);
    const at = Date.parse("2026-11-25T14:00:00.123Z");
    assert.equal(fileTimeToDate(ft((BigInt(at) + 11_644_473_600_000n) * 10_000n + 5n))?.getTime(), at);
    // Low DWORD with its top bit set (0xfffffff0): 501229 ms after 1970.
    assert.equal(fileTimeToDate(ft(0x19d_b1df_ffff_fff0n))?.getTime(), 501_229);
    assert.equal(fileTimeToDate({ dwLowDateTime: 0, dwHighDateTime: 0 }), undefined);
  });
});

const haveGcc = process.platform === "linux" && spawnSync("gcc", ["--version"]).status === 0;

(haveGcc ? describe : describe.skip)(
  "platform/windows-kernel32 binding against a stand-in kernel32",
  function () {
    this.timeout(120_000);
    let dir: string;
    let k32: Kernel32;
    let ctl: {
      spawn: (pid: number) => void;
      exit: (pid: number, code: number) => void;
      openHandles: () => number;
      created: (pid: number, lo: number, hi: number) => void;
      deny: (pid: number) => void;
      failTimes: (code: number) => void;
      lastAccess: () => number;
    };

    before(() => {
      dir = mkdtempSync(join(tmpdir(), "h7-k32-"));
      writeFileSync(join(dir, "k32.c"), STAND_IN);
      const so = join(dir, "libk32.so");
      execFileSync("gcc", ["-shared", "-fPIC", "-pthread", "-O1", "-o", so, join(dir, "k32.c")]);
      k32 = bindKernel32(koffi, so);
      const lib = koffi.load(so);
      const spawn = lib.func("void FakeSpawn(uint32_t pid)");
      const exit = lib.func("void FakeExit(uint32_t pid, uint32_t code)");
      const openHandles = lib.func("int FakeOpenHandles(void)");
      const created = lib.func("void FakeCreated(uint32_t pid, uint32_t lo, uint32_t hi)");
      const deny = lib.func("void FakeDeny(uint32_t pid)");
      const failTimes = lib.func("void FakeFailTimes(uint32_t code)");
      const lastAccess = lib.func("uint32_t FakeLastAccess(void)");
      ctl = {
        spawn: (p) => spawn(p),
        exit: (p, c) => exit(p, c),
        openHandles: () => openHandles() as number,
        created: (p, lo, hi) => created(p, lo, hi),
        deny: (p) => deny(p),
        failTimes: (c) => failTimes(c),
        lastAccess: () => lastAccess() as number,
      };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("waits fired from foreign threads reach the waiter with exact 32-bit codes; handles released", async () => {
      const waiter = new WindowsProcessWaiter({ kernel32: () => k32 });
      waiter.init();
      const pids = Array.from({ length: 20 }, (_, i) => 10 + i);
      const codes = pids.map((p, i) => (i === 0 ? 0xc0000005 : p));
      for (const p of pids) ctl.spawn(p);
      const waits = pids.map((p) => waiter.wait(p));
      assert.equal(waiter.pending, 20);
      for (const [i, p] of pids.entries()) ctl.exit(p, codes[i]!);
      assert.deepEqual(
        (await Promise.all(waits)).map((i) => i.exitCode),
        codes,
      );
      assert.equal(ctl.openHandles(), 0);
      waiter.close();
    });

    it("a process that exited before the wait → fires at once; unknown pid → NotFoundError via GetLastError", async () => {
      const waiter = new WindowsProcessWaiter({ kernel32: () => k32 });
      waiter.init();
      ctl.spawn(50);
      ctl.exit(50, 3);
      assert.equal((await waiter.wait(50)).exitCode, 3);
      await assert.rejects(waiter.wait(99), NotFoundError);
      assert.equal(ctl.openHandles(), 0);
      waiter.close();
    });

    it("close before the exit → the wait is unregistered and a late exit fires nothing", async () => {
      const waiter = new WindowsProcessWaiter({ kernel32: () => k32 });
      waiter.init();
      ctl.spawn(60);
      const w = waiter.wait(60);
      waiter.close();
      await assert.rejects(w);
      assert.equal(ctl.openHandles(), 0);
      ctl.exit(60, 1); // the stand-in skips cancelled waits, as Windows does after UnregisterWait
    });

    it("processCreationTime: FILETIME out-parameters read, limited access only, exited → undefined", () => {
      // 2026-01-02T03:04:05.006Z as a FILETIME: (ms + 11644473600000) * 10000 100-ns intervals.
      const at = new Date("2026-01-02T03:04:05.006Z");
      const ticks = (BigInt(at.getTime()) + 11_644_473_600_000n) * 10_000n + 1234n;
      ctl.spawn(70);
      ctl.created(70, Number(ticks & 0xffff_ffffn), Number(ticks >> 32n));
      assert.equal(k32.processCreationTime(70)?.toISOString(), at.toISOString());
      assert.equal(ctl.lastAccess(), 0x1000, "PROCESS_QUERY_LIMITED_INFORMATION only");
      ctl.exit(70, 0); // the process object lives on (a handle elsewhere), with an exit time
      assert.equal(k32.processCreationTime(70), undefined);
      assert.equal(ctl.openHandles(), 0);
    });

    it("processCreationTime: no such pid / access denied → undefined; other failures throw, handle closed", () => {
      assert.equal(k32.processCreationTime(99), undefined);
      ctl.spawn(71);
      ctl.deny(71);
      assert.equal(k32.processCreationTime(71), undefined);
      ctl.spawn(72);
      ctl.failTimes(6);
      try {
        assert.throws(
          () => k32.processCreationTime(72),
          (e: unknown) => e instanceof Win32Error && e.call === "GetProcessTimes" && e.code === 6,
        );
      } finally {
        ctl.failTimes(0);
      }
      assert.equal(ctl.openHandles(), 0);
    });
  },
);
