/**
 * Test fixture (not a test): runs one runhcs command as a CHILD SUBREAPER, then waits for the helper whose
 * pid the command wrote to the pid file — exactly what the shim does — and reports on fd 3, one JSON line
 * each: `{"event":"exited-cli","code":N}`, `{"event":"pid","pid":P}`, `{"event":"helper-exit","code":N,
 * "signal":S}`. Usage: `node reaper.js <pid-file> <runhcs> [args...]`; stdio 0-2 are passed through to runhcs.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeSync } from "node:fs";
import koffi from "koffi";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const libc = koffi.load("libc.so.6");
const prctl = libc.func(
  "int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)",
);
const waitpid = libc.func("int waitpid(int pid, _Out_ int *status, int options)");

const [pidFile, bin, ...args] = process.argv.slice(2) as [string, string, ...string[]];
const report = (obj: unknown) => writeSync(3, `${JSON.stringify(obj)}\n`);

if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw new Error("prctl(PR_SET_CHILD_SUBREAPER) failed");
const cli = spawn(bin, args, { stdio: "inherit" });
cli.on("exit", (code) => {
  report({ event: "exited-cli", code });
  if (code !== 0) process.exit(0);
  const pid = Number(readFileSync(pidFile, "utf8"));
  report({ event: "pid", pid });
  const check = () => {
    const status = [0];
    if (waitpid(pid, status, WNOHANG) !== pid) return;
    const st = status[0] as number;
    const signal = st & 0x7f;
    report({ event: "helper-exit", code: signal === 0 ? (st >> 8) & 0xff : null, signal: signal || null });
    process.exit(0);
  };
  process.on("SIGCHLD", check);
  setInterval(check, 200);
  check();
});
