/**
 * The names of the files the shim writes into a bundle, in one place: `start` (its address and pid), the
 * task (runhcs's pid files, logs and `--root`, the exec process specs) and the `delete` action, which
 * finds and removes them, must agree on every name. containerd's own files there (`config.json`,
 * `rootfs`, `log`) are never among them.
 *
 * Small files in the bundle (pid files, the record, the exec process spec, config.json's read, the
 * existence checks before an operation takes its files, the removal of the task's files) are read,
 * written and removed with synchronous calls: on the bundle's local disk each takes microseconds, while
 * an asynchronous call is a round trip through libuv's thread pool that costs more than the I/O itself
 * (`scripts/bench overhead`). Writes that fsync (config.json's layer rewrite, `address`, `shim.pid`)
 * stay asynchronous.
 */
export const BUNDLE_FILES = {
  /** The Task API address `start` printed; containerd re-reads it after a restart. */
  address: "address",
  /** The pid of the server `start` spawned. */
  shimPid: "shim.pid",
  /** The init's runhcs helper pid (`runhcs create --pid-file`). */
  initPid: "runhcs-pidfile.pid",
  /** runhcs's JSON log (`--log`); its last error line becomes an RPC's message. */
  runhcsLog: "runhcs.log",
  /** Debug logs of runhcs's helpers (`--shim-log`, `--vm-log`), with the runtime option `debug`. */
  shimLog: "runhcs-shim.log",
  vmLog: "runhcs-vm-shim.log",
  execSpec: (execId: string) => `exec-${execId}-process.json`,
  execPid: (execId: string) => `runhcs-exec-${execId}-pidfile.pid`,
  execShimLog: (execId: string) => `runhcs-shim-exec-${execId}.log`,
  /** The `--root` the task was created with, for the `delete` action when the server is gone. */
  runhcsRoot: "runhcs-root",
  /** Which of these files the shim created in this bundle (`created-files.ts`). */
  created: "shim-created",
} as const;

const EXEC_PID = /^runhcs-exec-(.+)-pidfile\.pid$/;
const EXEC_SPEC = /^exec-(.+)-process\.json$/;
const EXEC_SHIM_LOG = /^runhcs-shim-exec-(.+)\.log$/;

/** Whether `name` is an exec's runhcs pid file. */
export function isExecPidFile(name: string): boolean {
  return EXEC_PID.test(name);
}

/** Names the shim (start, serve, the task) gives its files in the bundle, and nothing else. */
export function isShimFile(name: string): boolean {
  const fixed: string[] = [
    BUNDLE_FILES.initPid,
    BUNDLE_FILES.runhcsLog,
    BUNDLE_FILES.shimLog,
    BUNDLE_FILES.vmLog,
    BUNDLE_FILES.runhcsRoot,
    BUNDLE_FILES.shimPid,
    BUNDLE_FILES.address,
    BUNDLE_FILES.created,
  ];
  if (fixed.includes(name)) return true;
  return [EXEC_PID, EXEC_SPEC, EXEC_SHIM_LOG].some((re) => re.test(name));
}
