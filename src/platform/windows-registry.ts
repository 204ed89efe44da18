/**
 * runhcs's state in the registry, read-only (hcsshim internal/regstate/regstate.go, cmd/runhcs/container.go).
 *
 * runhcs keeps one volatile key per container under
 * `HKLM\SOFTWARE\Microsoft\runhcs\<url.PathEscape(root)>\<url.PathEscape(id)>` (`--root` defaults to
 * "default"), with, among others:
 * - `pid` (REG_QWORD, keyInitPid): the container pid of the init process;
 * - `pid-<helper pid>` (REG_QWORD, keyPidMapFmt): the container pid of the process that the `runhcs shim`
 *   helper with that host pid launched (cmd/runhcs/shim.go sets it once the process started and clears it
 *   when the helper exits);
 * - `state` (REG_BINARY, JSON of persistedState): `Spec.Linux` present means LCOW.
 *
 * The advapi32 binding (koffi) is created lazily, on Windows only, behind {@link RegistryReader} so the
 * logic is unit-tested on Linux with a fake.
 */
import { createRequire } from "node:module";
import { Win32Error } from "./windows-kernel32.js";

type Koffi = typeof import("koffi").default;

/** `REG_BINARY`. */
export const REG_BINARY = 3;
/** `REG_DWORD`. */
export const REG_DWORD = 4;
/** `REG_QWORD`. */
export const REG_QWORD = 11;

/** One registry value: its type and raw bytes. */
export interface RegistryValue {
  readonly type: number;
  readonly data: Buffer;
}

/** Reads values below HKEY_LOCAL_MACHINE. Failures other than "no such key or value" throw {@link Win32Error}. */
export interface RegistryReader {
  /** `subKey`'s value `name`, or `undefined` when the key or the value does not exist. */
  readLocalMachine(subKey: string, name: string): RegistryValue | undefined;
}

/**
 * Go's `url.PathEscape` (encodePathSegment): every UTF-8 byte is kept when it is unreserved
 * (`A-Za-z0-9-_.~`) or one of `$&+:=@`, otherwise written `%XX` in upper-case hex.
 */
export function goPathEscape(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+:=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** regstate's rootPath. */
export const RUNHCS_REGISTRY_ROOT = "SOFTWARE\\Microsoft\\runhcs";

/** The key of container `id` under runhcs `--root` `root` ("" → runhcs's default, "default"). */
export function runhcsKeyPath(root: string, id: string): string {
  return `${RUNHCS_REGISTRY_ROOT}\\${goPathEscape(root || "default")}\\${goPathEscape(id)}`;
}

function integer(v: RegistryValue | undefined, what: string): number | undefined {
  if (!v) return undefined;
  if (v.type === REG_QWORD && v.data.length >= 8) return Number(v.data.readBigUInt64LE(0));
  if (v.type === REG_DWORD && v.data.length >= 4) return v.data.readUInt32LE(0);
  throw new Error(`runhcs state ${what}: not an integer value (type ${v.type}, ${v.data.length} bytes)`);
}

/** Typed reads of runhcs's per-container state. */
export class RunhcsRegistryState {
  readonly #reader: RegistryReader;

  constructor(reader: RegistryReader) {
    this.#reader = reader;
  }

  /** The container pid of the process runhcs helper `helperPid` launched (`pid-<helperPid>`), or undefined. */
  containerPid(root: string, id: string, helperPid: number): number | undefined {
    const name = `pid-${helperPid}`;
    return integer(this.#reader.readLocalMachine(runhcsKeyPath(root, id), name), name);
  }

  /** The container pid of the init process (`pid`), or undefined. */
  initPid(root: string, id: string): number | undefined {
    return integer(this.#reader.readLocalMachine(runhcsKeyPath(root, id), "pid"), "pid");
  }

  /** Whether the container is LCOW (`state` JSON has `Spec.Linux`); undefined without a readable state. */
  isLcow(root: string, id: string): boolean | undefined {
    const v = this.#reader.readLocalMachine(runhcsKeyPath(root, id), "state");
    if (!v) return undefined;
    try {
      const state = JSON.parse(v.data.toString("utf8")) as { Spec?: { Linux?: unknown } | null };
      return state.Spec?.Linux !== undefined && state.Spec?.Linux !== null;
    } catch {
      return undefined;
    }
  }
}

// ---- the advapi32 binding ----------------------------------------------------------------------------

/** `HKEY_LOCAL_MACHINE`: `(HKEY)(LONG)0x80000002`, sign-extended to a pointer. */
const HKEY_LOCAL_MACHINE = -0x7fff_fffe;
/** `KEY_READ`. */
const KEY_READ = 0x2_0019;
const ERROR_SUCCESS = 0;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_MORE_DATA = 234;

let cached: RegistryReader | undefined;

/** The real advapi32 reader, created on first use (Windows only). */
export function loadRegistry(): RegistryReader {
  cached ??= bindRegistry(createRequire(import.meta.url)("koffi") as Koffi);
  return cached;
}

/**
 * advapi32 `RegOpenKeyExW(HKLM, subKey, 0, KEY_READ, &key)`, `RegQueryValueExW` (size, then data),
 * `RegCloseKey`. LSTATUS results are Win32 codes (no GetLastError).
 */
export function bindRegistry(koffi: Koffi, library = "advapi32.dll"): RegistryReader {
  const lib = koffi.load(library);
  const RegOpenKeyExW = lib.func("__stdcall", "RegOpenKeyExW", "int32_t", [
    "intptr_t",
    "str16",
    "uint32_t",
    "uint32_t",
    koffi.out(koffi.pointer("void *")),
  ]);
  const RegQueryValueExW = lib.func("__stdcall", "RegQueryValueExW", "int32_t", [
    "void *",
    "str16",
    "void *",
    koffi.out(koffi.pointer("uint32_t")),
    "void *",
    koffi.inout(koffi.pointer("uint32_t")),
  ]);
  const RegCloseKey = lib.func("__stdcall", "RegCloseKey", "int32_t", ["void *"]);

  return {
    readLocalMachine(subKey, name) {
      const key: unknown[] = [null];
      const open = RegOpenKeyExW(HKEY_LOCAL_MACHINE, subKey, 0, KEY_READ, key) as number;
      if (open === ERROR_FILE_NOT_FOUND) return undefined;
      if (open !== ERROR_SUCCESS) throw new Win32Error(`RegOpenKeyExW(HKLM\\${subKey})`, open);
      try {
        // The value may grow between the two calls: retry on ERROR_MORE_DATA.
        for (;;) {
          const type = [0];
          const size = [0];
          let st = RegQueryValueExW(key[0], name, null, type, null, size) as number;
          if (st === ERROR_FILE_NOT_FOUND) return undefined;
          if (st !== ERROR_SUCCESS) throw new Win32Error(`RegQueryValueExW(${name})`, st);
          const data = Buffer.alloc(size[0] ?? 0);
          size[0] = data.length;
          st = RegQueryValueExW(key[0], name, null, type, data.length ? data : null, size) as number;
          if (st === ERROR_MORE_DATA) continue;
          if (st === ERROR_FILE_NOT_FOUND) return undefined;
          if (st !== ERROR_SUCCESS) throw new Win32Error(`RegQueryValueExW(${name})`, st);
          return { type: type[0] ?? 0, data: data.subarray(0, size[0] ?? 0) };
        }
      } finally {
        RegCloseKey(key[0]);
      }
    },
  };
}
