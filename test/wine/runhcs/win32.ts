/**
 * The Win32 calls of the Wine runhcs simulator, through koffi (loaded as src/platform/windows-kernel32.ts
 * loads it; under Wine `NODE_PATH` lets koffi find its Windows module):
 * - advapi32 registry calls as hcsshim's `internal/regstate` makes them (`RegCreateKeyExW` with
 *   `REG_OPTION_VOLATILE`, `RegSetValueExW`, `RegQueryValueExW`, `RegEnumValueW`, `RegDeleteValueW`,
 *   `RegDeleteKeyW`), also used by the Wine drivers to read runhcs's state back;
 * - kernel32 `OpenProcess(PROCESS_TERMINATE)` + `TerminateProcess(h, code)`: the compute system ends a
 *   container process with a chosen exit code (Node's `kill()` always uses 1).
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;

/** `HKEY_LOCAL_MACHINE` ((HKEY)(LONG)0x80000002, sign-extended: a negative intptr). */
export const HKEY_LOCAL_MACHINE = 0x8000_0002 | 0;
export const REG_SZ = 1;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_QWORD = 11;
export const ERROR_FILE_NOT_FOUND = 2;
const ERROR_MORE_DATA = 234;
const ERROR_NO_MORE_ITEMS = 259;
const REG_OPTION_VOLATILE = 1;
const KEY_ALL_ACCESS = 0xf003f;
const REG_OPENED_EXISTING_KEY = 2;
const PROCESS_TERMINATE = 0x1;

/** A failed registry call with its Win32 status. */
export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    readonly call: string,
    readonly path: string,
    readonly code: number,
  ) {
    super(`${call} ${path}: Win32 error ${code}`);
  }
}

/** A registry value as read back. */
export interface RegValue {
  type: number;
  data: Buffer;
}

/** An open key (a handle number) and its path for messages. */
export interface Key {
  readonly handle: number | bigint;
  readonly path: string;
}

export interface Registry {
  /** `RegCreateKeyExW(parent, sub, 0, NULL, REG_OPTION_VOLATILE, KEY_ALL_ACCESS, ...)`. */
  createVolatile(parent: Key, sub: string): { key: Key; existed: boolean };
  /** `RegOpenKeyExW`; undefined when the key does not exist. */
  open(parent: Key, sub: string): Key | undefined;
  close(key: Key): void;
  setValue(key: Key, name: string, type: number, data: Buffer): void;
  /** undefined when the value does not exist. */
  queryValue(key: Key, name: string): RegValue | undefined;
  /** All values (`RegEnumValueW`). */
  values(key: Key): Map<string, RegValue>;
  /** false when the value did not exist. */
  deleteValue(key: Key, name: string): boolean;
  /** false when the key did not exist. */
  deleteKey(parent: Key, sub: string): boolean;
}

export const HKLM: Key = { handle: HKEY_LOCAL_MACHINE, path: "HKEY_LOCAL_MACHINE" };

let koffiCache: Koffi | undefined;
function koffi(): Koffi {
  koffiCache ??= createRequire(import.meta.url)("koffi") as Koffi;
  return koffiCache;
}

let registry: Registry | undefined;

/** The advapi32 binding (created on first use). */
export function loadRegistry(): Registry {
  registry ??= bindRegistry(koffi());
  return registry;
}

function bindRegistry(k: Koffi): Registry {
  const adv = k.load("advapi32.dll");
  const f = (name: string, result: string, args: unknown[]) =>
    adv.func("__stdcall", name, result, args as Parameters<Koffi["out"]>[0][]);
  const hkeyOut = k.out(k.pointer("intptr_t"));
  const dwOut = k.out(k.pointer("uint32_t"));
  const dwInOut = k.inout(k.pointer("uint32_t"));
  const RegCreateKeyExW = f("RegCreateKeyExW", "int32_t", [
    "intptr_t",
    "str16",
    "uint32_t",
    "void *",
    "uint32_t",
    "uint32_t",
    "void *",
    hkeyOut,
    dwOut,
  ]);
  const RegOpenKeyExW = f("RegOpenKeyExW", "int32_t", ["intptr_t", "str16", "uint32_t", "uint32_t", hkeyOut]);
  const RegCloseKey = f("RegCloseKey", "int32_t", ["intptr_t"]);
  const RegSetValueExW = f("RegSetValueExW", "int32_t", [
    "intptr_t",
    "str16",
    "uint32_t",
    "uint32_t",
    "void *",
    "uint32_t",
  ]);
  const RegQueryValueExW = f("RegQueryValueExW", "int32_t", [
    "intptr_t",
    "str16",
    "void *",
    dwOut,
    "void *",
    dwInOut,
  ]);
  const RegEnumValueW = f("RegEnumValueW", "int32_t", [
    "intptr_t",
    "uint32_t",
    "void *",
    dwInOut,
    "void *",
    dwOut,
    "void *",
    dwInOut,
  ]);
  const RegDeleteValueW = f("RegDeleteValueW", "int32_t", ["intptr_t", "str16"]);
  const RegDeleteKeyW = f("RegDeleteKeyW", "int32_t", ["intptr_t", "str16"]);
  const check = (call: string, path: string, rc: number): void => {
    if (rc !== 0) throw new RegistryError(call, path, rc);
  };
  return {
    createVolatile(parent, sub) {
      const h = [0];
      const disp = [0];
      const path = `${parent.path}\\${sub}`;
      check(
        "RegCreateKeyExW",
        path,
        RegCreateKeyExW(parent.handle, sub, 0, null, REG_OPTION_VOLATILE, KEY_ALL_ACCESS, null, h, disp),
      );
      return { key: { handle: h[0] as number, path }, existed: disp[0] === REG_OPENED_EXISTING_KEY };
    },
    open(parent, sub) {
      const h = [0];
      const path = `${parent.path}\\${sub}`;
      const rc = RegOpenKeyExW(parent.handle, sub, 0, KEY_ALL_ACCESS, h);
      if (rc === ERROR_FILE_NOT_FOUND) return undefined;
      check("RegOpenKeyExW", path, rc);
      return { handle: h[0] as number, path };
    },
    close(key) {
      RegCloseKey(key.handle);
    },
    setValue(key, name, type, data) {
      check(
        `RegSetValueExW`,
        `${key.path}:${name}`,
        RegSetValueExW(key.handle, name, 0, type, data, data.length),
      );
    },
    queryValue(key, name) {
      for (let size = 256; ; ) {
        const data = Buffer.alloc(size);
        const type = [0];
        const cb = [size];
        const rc = RegQueryValueExW(key.handle, name, null, type, data, cb);
        if (rc === ERROR_FILE_NOT_FOUND) return undefined;
        if (rc === ERROR_MORE_DATA) {
          size = Math.max((cb[0] as number) + 16, size * 2);
          continue;
        }
        check("RegQueryValueExW", `${key.path}:${name}`, rc);
        return { type: type[0] as number, data: data.subarray(0, cb[0] as number) };
      }
    },
    values(key) {
      const out = new Map<string, RegValue>();
      for (let i = 0; ; i++) {
        const name = Buffer.alloc(2 * 16384);
        const data = Buffer.alloc(1 << 20);
        const cchName = [16384];
        const type = [0];
        const cb = [data.length];
        const rc = RegEnumValueW(key.handle, i, name, cchName, null, type, data, cb);
        if (rc === ERROR_NO_MORE_ITEMS) return out;
        check("RegEnumValueW", key.path, rc);
        out.set(name.toString("utf16le", 0, 2 * (cchName[0] as number)), {
          type: type[0] as number,
          data: Buffer.from(data.subarray(0, cb[0] as number)),
        });
      }
    },
    deleteValue(key, name) {
      const rc = RegDeleteValueW(key.handle, name);
      if (rc === ERROR_FILE_NOT_FOUND) return false;
      check("RegDeleteValueW", `${key.path}:${name}`, rc);
      return true;
    },
    deleteKey(parent, sub) {
      const rc = RegDeleteKeyW(parent.handle, sub);
      if (rc === ERROR_FILE_NOT_FOUND) return false;
      check("RegDeleteKeyW", `${parent.path}\\${sub}`, rc);
      return true;
    },
  };
}

let terminator: ((pid: number, code: number) => boolean) | undefined;

/**
 * `TerminateProcess(OpenProcess(PROCESS_TERMINATE, FALSE, pid), code)`: false when the process could not
 * be opened or terminated (it has exited).
 */
export function terminateProcess(pid: number, code: number): boolean {
  if (!terminator) {
    const k32 = koffi().load("kernel32.dll");
    const OpenProcess = k32.func("__stdcall", "OpenProcess", "void *", ["uint32_t", "int", "uint32_t"]);
    const TerminateProcess = k32.func("__stdcall", "TerminateProcess", "int", ["void *", "uint32_t"]);
    const CloseHandle = k32.func("__stdcall", "CloseHandle", "int", ["void *"]);
    terminator = (p, c) => {
      const h = OpenProcess(PROCESS_TERMINATE, 0, p);
      if (h === null) return false;
      try {
        return TerminateProcess(h, c >>> 0) !== 0;
      } finally {
        CloseHandle(h);
      }
    };
  }
  return terminator(pid, code);
}
