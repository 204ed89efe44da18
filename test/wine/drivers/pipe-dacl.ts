/**
 * For the Wine drivers: what a client sees of a named pipe's security, through the real advapi32:
 * `CreateFileW(READ_CONTROL)` opens a client instance, `GetSecurityInfo(SE_KERNEL_OBJECT, DACL)` and
 * `ConvertSecurityDescriptorToStringSecurityDescriptorW` give the DACL as SDDL (`LocalFree`d).
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;

const READ_CONTROL = 0x2_0000;
const OPEN_EXISTING = 3;
const SE_KERNEL_OBJECT = 6;
const DACL_SECURITY_INFORMATION = 4;

let bound: ((pipe: string) => string) | undefined;

/** The DACL of `pipe` as SDDL (`D:...`), or `error <code>` when it cannot be read. */
export function pipeDacl(pipe: string): string {
  bound ??= bind(createRequire(import.meta.url)("koffi") as Koffi);
  return bound(pipe);
}

function bind(koffi: Koffi): (pipe: string) => string {
  const k32 = koffi.load("kernel32.dll");
  const adv = koffi.load("advapi32.dll");
  const CreateFileW = k32.func(
    "void * __stdcall CreateFileW(str16, uint32_t, uint32_t, void *, uint32_t, uint32_t, void *)",
  );
  const CloseHandle = k32.func("int __stdcall CloseHandle(void *)");
  const LocalFree = k32.func("void * __stdcall LocalFree(void *)");
  const GetLastError = k32.func("uint32_t __stdcall GetLastError()");
  const lstrlenW = k32.func("int __stdcall lstrlenW(void *)");
  const GetSecurityInfo = adv.func(
    "uint32_t __stdcall GetSecurityInfo(void *, int, uint32_t, void *, void *, _Out_ void **, void *, _Out_ void **)",
  );
  const ToSddl = adv.func(
    "int __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(void *, uint32_t, uint32_t, _Out_ void **, void *)",
  );
  return (pipe) => {
    const h = CreateFileW(pipe, READ_CONTROL, 0, null, OPEN_EXISTING, 0, null);
    if (h === null || koffi.address(h) === 0xffff_ffff_ffff_ffffn) return `error ${GetLastError()}`;
    try {
      const dacl: unknown[] = [null];
      const sd: unknown[] = [null];
      const rc = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, null, null, dacl, null, sd);
      if (rc !== 0) return `error ${rc}`;
      try {
        const str: unknown[] = [null];
        if (!ToSddl(sd[0], 1, DACL_SECURITY_INFORMATION, str, null)) return `error ${GetLastError()}`;
        try {
          const chars = lstrlenW(str[0]) as number;
          return Buffer.from(koffi.view(str[0], chars * 2)).toString("utf16le");
        } finally {
          LocalFree(str[0]);
        }
      } finally {
        LocalFree(sd[0]);
      }
    } finally {
      CloseHandle(h);
    }
  };
}
