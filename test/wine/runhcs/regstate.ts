/**
 * runhcs's container state in the registry, laid out as hcsshim's `internal/regstate` (regstate.go:
 * `Open`, `Key.Create/Set/Get/Clear/Remove`) and `cmd/runhcs/container.go` keep it:
 *
 *   HKLM\SOFTWARE\Microsoft\runhcs\<url.PathEscape(root)>\<url.PathEscape(id)>   (volatile keys)
 *     state        REG_BINARY  JSON of persistedState (ID, Owner, Bundle, Created, Spec, UniqueID, ...)
 *     shim         REG_QWORD   pid of the init `runhcs shim` helper; 0 once that helper exited
 *     pid          REG_QWORD   the init process's container pid
 *     pid-<helper> REG_QWORD   the container pid of the process that helper launched; cleared on its exit
 *
 * This module is the simulator's only record of a container: the shim reads the same keys.
 */
import { HKLM, type Key, loadRegistry, REG_BINARY, REG_DWORD, REG_QWORD, REG_SZ } from "./win32.js";

export const ROOT_PATH = "SOFTWARE\\Microsoft\\runhcs";
export const KEY_STATE = "state";
export const KEY_SHIM_PID = "shim";
export const KEY_INIT_PID = "pid";
/** `keyPidMapFmt` ("pid-%d"): helper host pid → container pid. */
export const pidMapKey = (helperPid: number): string => `pid-${helperPid}`;

/** Go's url.PathEscape: everything but unreserved characters and `$&+,:;=@` is %XX-escaped (UTF-8). */
export function pathEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~$&+,:;=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The subkey (below HKLM) of container `id` under runhcs `--root` (default "default"). */
export function containerKeyPath(root: string, id: string): string {
  return `${ROOT_PATH}\\${pathEscape(root || "default")}\\${pathEscape(id)}`;
}

/** What runhcs persists in `state` (the fields of persistedState the simulator uses). */
export interface PersistedState {
  ID: string;
  Owner?: string;
  Bundle: string;
  Created: string;
  Rootfs?: string;
  Spec: OciSpec;
  UniqueID: string;
}

/** The parts of an OCI spec the simulator reads. */
export interface OciSpec {
  ociVersion?: string;
  process?: unknown;
  linux?: unknown;
  windows?: unknown;
  annotations?: { [key: string]: string };
}

/** A container's registry record, as read back. */
export interface Record {
  state: PersistedState;
  /** `shim`: -1 when absent (getContainer), 0 when the init helper exited. */
  shimPid: number;
  values: Map<string, number>;
}

/** "ID '<id>' was not found" (regstate.NotFoundError). */
export class NotFoundError extends Error {
  constructor(id: string) {
    super(`ID '${id}' was not found`);
  }
}

function openRoot(root: string): Key {
  const reg = loadRegistry();
  const base = reg.createVolatile(HKLM, ROOT_PATH).key;
  try {
    return reg.createVolatile(base, pathEscape(root || "default")).key;
  } finally {
    reg.close(base);
  }
}

function withContainer<T>(root: string, id: string, fn: (k: Key) => T): T {
  const reg = loadRegistry();
  const r = openRoot(root);
  try {
    const k = reg.open(r, pathEscape(id));
    if (!k) throw new NotFoundError(id);
    try {
      return fn(k);
    } finally {
      reg.close(k);
    }
  } finally {
    reg.close(r);
  }
}

/** `stateKey.Create(id, "state", ...)`: fails when the container key exists already. */
export function createState(root: string, id: string, state: PersistedState): void {
  const reg = loadRegistry();
  const r = openRoot(root);
  try {
    const { key, existed } = reg.createVolatile(r, pathEscape(id));
    try {
      if (existed) throw new Error(`container ${id} already exists`);
      reg.setValue(key, KEY_STATE, REG_BINARY, Buffer.from(JSON.stringify(state)));
    } finally {
      reg.close(key);
    }
  } finally {
    reg.close(r);
  }
}

/** `stateKey.Set(id, name, int)`: REG_QWORD. */
export function setPid(root: string, id: string, name: string, value: number): void {
  const data = Buffer.alloc(8);
  data.writeBigUInt64LE(BigInt(value));
  withContainer(root, id, (k) => loadRegistry().setValue(k, name, REG_QWORD, data));
}

/** `stateKey.Clear(id, name)`; a missing container or value is not an error here. */
export function clearValue(root: string, id: string, name: string): void {
  try {
    withContainer(root, id, (k) => loadRegistry().deleteValue(k, name));
  } catch (err: unknown) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/** Reads the container's record (getContainer's `state` + `shim`); NotFoundError when there is none. */
export function readRecord(root: string, id: string): Record {
  return withContainer(root, id, (k) => {
    const reg = loadRegistry();
    // `state` by name, as regstate's Get does: an enumeration (RegEnumValueW by index) can skip a value
    // while a helper deletes its `pid-<helper>` concurrently.
    const raw = reg.queryValue(k, KEY_STATE);
    if (!raw) throw new Error(`state '${KEY_STATE}' is not present for ID '${id}'`);
    const all = reg.values(k);
    for (const name of [KEY_SHIM_PID, KEY_INIT_PID]) {
      const v = reg.queryValue(k, name);
      if (v) all.set(name, v);
    }
    const values = new Map<string, number>();
    for (const [name, v] of all) {
      if (v.type === REG_QWORD) values.set(name, Number(v.data.readBigUInt64LE(0)));
      else if (v.type === REG_DWORD) values.set(name, v.data.readUInt32LE(0));
      else if (v.type === REG_SZ) values.set(name, Number.NaN);
    }
    return {
      state: JSON.parse(raw.data.toString("utf8")) as PersistedState,
      shimPid: values.get(KEY_SHIM_PID) ?? -1,
      values,
    };
  });
}

/** `stateKey.Remove(id)`: false when there was no key. */
export function removeState(root: string, id: string): boolean {
  const reg = loadRegistry();
  const r = openRoot(root);
  try {
    return reg.deleteKey(r, pathEscape(id));
  } finally {
    reg.close(r);
  }
}
