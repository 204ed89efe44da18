/**
 * Windows start lock: a named mutex per group pipe (`Global\containerd-shim-start-<sha256 of the pipe
 * name>`), so that two `start`s of one group never both spawn a server. Named pipes leave no stale files,
 * but pipe creation alone cannot arbitrate either: Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE, and a
 * server that loses the race would fail after `start` already decided to wait for it.
 *
 * Windows releases a mutex whose owner died (the next waiter gets WAIT_ABANDONED, which is as good as
 * owning it here: nothing is guarded but the decision to spawn). The mutex is polled with a zero timeout
 * on a timer so the event loop keeps running; a mutex belongs to the thread that took it, and all calls
 * here run on the main thread.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;

const WAIT_OBJECT_0 = 0;
const WAIT_ABANDONED = 0x80;
const RETRY_MS = 20;

interface MutexApi {
  create(name: string): unknown;
  tryTake(handle: unknown): boolean;
  release(handle: unknown): void;
  close(handle: unknown): void;
}

let api: MutexApi | undefined;
function mutexApi(): MutexApi {
  if (api) return api;
  const koffi = createRequire(import.meta.url)("koffi") as Koffi;
  const k32 = koffi.load("kernel32.dll");
  const CreateMutexW = k32.func("void *__stdcall CreateMutexW(void *attrs, int initialOwner, str16 name)");
  const WaitForSingleObject = k32.func("uint32_t __stdcall WaitForSingleObject(void *h, uint32_t ms)");
  const ReleaseMutex = k32.func("int __stdcall ReleaseMutex(void *h)");
  const CloseHandle = k32.func("int __stdcall CloseHandle(void *h)");
  const GetLastError = k32.func("uint32_t __stdcall GetLastError()");
  api = {
    create(name) {
      const h = CreateMutexW(null, 0, name);
      if (!h) throw new Error(`CreateMutexW(${name}) failed with Win32 error ${GetLastError()}`);
      return h;
    },
    tryTake(h) {
      const r = WaitForSingleObject(h, 0) as number;
      return r === WAIT_OBJECT_0 || r === WAIT_ABANDONED;
    },
    release: (h) => void ReleaseMutex(h),
    close: (h) => void CloseHandle(h),
  };
  return api;
}

/** The mutex name of a group pipe. */
export function startMutexName(pipeName: string): string {
  return `Global\\containerd-shim-start-${createHash("sha256").update(pipeName.toLowerCase()).digest("hex")}`;
}

/** Holds the start lock of the pipe `listenPath` while `fn` runs (at most `timeoutMs` waiting for it). */
export async function withStartLock<T>(
  listenPath: string,
  fn: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const m = mutexApi();
  const handle = m.create(startMutexName(listenPath));
  try {
    const deadline = Date.now() + timeoutMs;
    while (!m.tryTake(handle)) {
      if (Date.now() > deadline) throw new Error(`start: timed out waiting for the lock of ${listenPath}`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    try {
      return await fn();
    } finally {
      m.release(handle);
    }
  } finally {
    m.close(handle);
  }
}
