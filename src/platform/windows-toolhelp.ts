/**
 * A built-in stand-in for the optional `@vscode/windows-process-tree`: the same `getProcessList` shape,
 * from a kernel32 Toolhelp snapshot (`CreateToolhelp32Snapshot` + `Process32FirstW/NextW`) through
 * koffi, which the shim already ships. Without it, a Windows shim with no optional module could not list
 * a helper's descendants at all (exec Kill would then only reach the runhcs helper itself).
 *
 * Same limits as the library: one snapshot, and Windows parent pids are not reference-counted (a parent
 * that exited may have its pid reused: `WindowsProcessTree.descendants` drops such "children" by their
 * creation times). Verified under Wine with the Windows node (test/wine).
 */
import { createRequire } from "node:module";
import type { ProcessListEntry, WindowsProcessTreeModule } from "./windows-tree.js";

type Koffi = typeof import("koffi").default;

const TH32CS_SNAPPROCESS = 0x2;
const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;

interface ProcessEntry {
  th32ProcessID: number;
  th32ParentProcessID: number;
  szExeFile: string;
}

interface Toolhelp {
  snapshot(): ProcessListEntry[];
}

let cached: Toolhelp | undefined;

function bind(): Toolhelp {
  const koffi = createRequire(import.meta.url)("koffi") as Koffi;
  // PROCESSENTRY32W (x64: 568 bytes). Unnamed koffi types: nothing global that could clash.
  const entryType = koffi.struct({
    dwSize: "uint32_t",
    cntUsage: "uint32_t",
    th32ProcessID: "uint32_t",
    th32DefaultHeapID: "uintptr_t",
    th32ModuleID: "uint32_t",
    cntThreads: "uint32_t",
    th32ParentProcessID: "uint32_t",
    pcPriClassBase: "int32_t",
    dwFlags: "uint32_t",
    szExeFile: koffi.array("char16_t", 260, "String"),
  });
  const k32 = koffi.load("kernel32.dll");
  const CreateSnapshot = k32.func("__stdcall", "CreateToolhelp32Snapshot", "void *", [
    "uint32_t",
    "uint32_t",
  ]);
  const First = k32.func("__stdcall", "Process32FirstW", "int", [
    "void *",
    koffi.inout(koffi.pointer(entryType)),
  ]);
  const Next = k32.func("__stdcall", "Process32NextW", "int", [
    "void *",
    koffi.inout(koffi.pointer(entryType)),
  ]);
  const CloseHandle = k32.func("__stdcall", "CloseHandle", "int", ["void *"]);
  const GetLastError = k32.func("__stdcall", "GetLastError", "uint32_t", []);
  const size = koffi.sizeof(entryType);
  return {
    snapshot() {
      const snap = CreateSnapshot(TH32CS_SNAPPROCESS, 0);
      if (snap === null || BigInt(koffi.address(snap)) === INVALID_HANDLE_VALUE) {
        throw new Error(`CreateToolhelp32Snapshot failed with Win32 error ${GetLastError()}`);
      }
      try {
        const list: ProcessListEntry[] = [];
        const entry = { dwSize: size } as Partial<ProcessEntry> & { dwSize: number };
        for (let ok = First(snap, entry); ok; ok = Next(snap, entry)) {
          list.push({
            pid: entry.th32ProcessID ?? 0,
            ppid: entry.th32ParentProcessID ?? 0,
            name: entry.szExeFile ?? "",
          });
          entry.dwSize = size;
        }
        return list;
      } finally {
        CloseHandle(snap);
      }
    },
  };
}

/**
 * The Toolhelp-based module: `getProcessList` calls back with every process of the snapshot (a superset
 * of the root's tree, which `WindowsProcessTree` walks), or `undefined` when the root is not among them.
 */
export function toolhelpProcessTree(): WindowsProcessTreeModule {
  return {
    getProcessList(rootPid, callback) {
      cached ??= bind();
      const list = cached.snapshot();
      setImmediate(() => callback(list.some((p) => p.pid === rootPid) ? list : undefined));
    },
  };
}
