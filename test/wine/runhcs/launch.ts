/**
 * Starting the simulator's own detached processes (`runhcs shim` helpers, the compute system), as
 * hcsshim's cmd/runhcs/container.go `launchShim` does: same executable and global flags, a pipe on which
 * the child reports `OK` or `ERR <text>` before the caller goes on (runhcs.GetErrorFromPipe).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import type { Socket } from "node:net";

export interface Launched {
  pid: number;
  /** The child's exit code (unsigned 32 bits). */
  exited: Promise<number>;
  /** Stops watching: the child lives on by itself. */
  drop(): void;
}

/** Starts `runhcs [globals] <args>` detached with `stdio` for fds 0-2; resolves after its `OK` on fd 3. */
export function launch(
  globalArgv: string[],
  args: string[],
  stdio: ("ignore" | number)[],
): Promise<Launched> {
  const child: ChildProcess = spawn(process.execPath, [...globalArgv, ...args], {
    detached: true,
    stdio: [...stdio, "pipe"] as ("ignore" | "pipe" | number)[],
    windowsHide: true,
  });
  const exited = new Promise<number>((r) => child.once("exit", (c) => r(c === null ? 1 : c >>> 0)));
  const pipe = child.stdio[3] as Socket;
  return new Promise((resolve, reject) => {
    let buf = "";
    pipe.setEncoding("utf8");
    pipe.on("error", () => {});
    pipe.on("data", (d: string) => {
      buf += d;
      if (!buf.includes("\n")) return;
      if (!buf.startsWith("OK")) return reject(new Error(buf.replace(/^ERR /, "").trim()));
      resolve({
        pid: child.pid as number,
        exited,
        drop: () => {
          pipe.destroy();
          child.unref();
        },
      });
    });
    child.once("error", reject);
    child.once("exit", () => setImmediate(() => reject(new Error(buf.trim() || "unknown shim failure"))));
  });
}

/** temp + rename: readers never see half a file (pid files). */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
