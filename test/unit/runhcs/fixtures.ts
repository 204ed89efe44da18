/**
 * Fixtures shared by the runhcs argument tests (the pure `xxxArgs` builders) and the client tests (the
 * argv the fake runhcs records), so both pin the same global flags.
 */
import { resolve } from "node:path";
import type { GlobalOptions } from "../../../src/runhcs/global-args.js";

/** A shim log pipe named as containerd's runhcs shim names it: runhcs gets it verbatim, never resolved. */
export const SHIM_LOG_PIPE = "\\\\.\\pipe\\ProtectedPrefix\\Administrators\\runhcs-shim-log-c1";

/**
 * Every global option set, logging to `log`. Listed in reverse on purpose: the flags come out in
 * go-runhcs's order whatever order the caller wrote them in.
 */
export function everyGlobal(log: string): GlobalOptions {
  return { root: "reg", owner: "containerd-runhcs-shim-v1", logFormat: "json", log, debug: true };
}

/** The argv go-runhcs builds from {@link everyGlobal}: its order, the log file made absolute. */
export function everyGlobalArgv(log: string): string[] {
  return [
    "--debug",
    "--log",
    resolve(log),
    "--log-format",
    "json",
    "--owner",
    "containerd-runhcs-shim-v1",
    "--root",
    "reg",
  ];
}
