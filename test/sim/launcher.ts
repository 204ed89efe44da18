/**
 * Starts a `runhcs shim` helper the way runhcs create/exec do: detached (own session, so it outlives the
 * call and is not in the caller's process group), with the call's own stdin/stdout/stderr, and a private
 * readiness pipe on fd 3.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import type { SimContext } from "./context.js";
import { signalExitCode } from "./signals.js";
import { STATE_DIR_ENV } from "./state-store.js";

/** A helper that reported ready. */
export interface LaunchedHelper {
  pid: number;
  child: ChildProcess;
  /** Exit code of the helper (only observable while this call lives; runhcs exec without --detach). */
  exited: Promise<number>;
  /** Drops every handle so this call can exit while the helper keeps running. */
  detach(): void;
}

const READY_TIMEOUT_MS = 30_000;

/** Spawns the helper with `shimArgs` (after the global flags) and waits for `OK` / `ERR <text>`. */
export function launchHelper(ctx: SimContext, shimArgs: string[]): Promise<LaunchedHelper> {
  const child = spawn(process.execPath, [ctx.entry, ...ctx.globalArgv, "shim", ...shimArgs], {
    detached: true,
    stdio: [0, 1, 2, "pipe"],
    env: { ...process.env, [STATE_DIR_ENV]: ctx.stateDir },
  });
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? signalExitCode(signal) : (code ?? 1)));
  });
  const pipe = child.stdio[3] as Socket;
  return new Promise((resolve, reject) => {
    let buf = "";
    let done = false;
    const fail = (msg: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pipe.destroy();
      try {
        child.kill("SIGKILL");
      } catch {}
      reject(new Error(msg));
    };
    const timer = setTimeout(
      () => fail("unknown shim failure: helper did not report ready"),
      READY_TIMEOUT_MS,
    );
    child.once("error", (err) => fail(`unknown shim failure: ${err.message}`));
    child.once("exit", (code, signal) => {
      setImmediate(() => fail(`unknown shim failure, exit code ${signal ? signalExitCode(signal) : code}`));
    });
    pipe.setEncoding("utf8");
    pipe.on("error", () => {});
    pipe.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0 || done) return;
      const line = buf.slice(0, nl);
      if (!line.startsWith("OK")) {
        fail(line.startsWith("ERR ") ? line.slice(4) : "unknown shim failure");
        return;
      }
      done = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid as number,
        child,
        exited,
        detach: () => {
          pipe.destroy();
          child.unref();
        },
      });
    });
  });
}
