#!/usr/bin/env node
// A fake runhcs for tests of the runhcs client: records its argv and behaves as told by environment variables.
//   FAKE_RUNHCS_RECORD=<file>     append {"argv":[...],"pid":N} as one JSON line
//   FAKE_RUNHCS_STDOUT=<text>     write text to stdout          FAKE_RUNHCS_STDERR=<text>  write text to stderr
//   FAKE_RUNHCS_LOG_ERROR=<msg>   append an info line and {"level":"error","msg":msg} to the --log file
//   FAKE_RUNHCS_PID=<content>     write content atomically (temp + rename) to the --pid-file path
//   FAKE_RUNHCS_SLEEP_MS=<ms>     sleep before exiting
//   FAKE_RUNHCS_GRANDCHILD=<file> start a grandchild that inherits stdout/stderr and lives 60 s; write its pid to file
//   FAKE_RUNHCS_EXIT=<code>       exit code (default 0)
import { spawn } from "node:child_process";
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const argv = process.argv.slice(2);
const env = process.env;

/** Value of a `--flag value` pair anywhere in argv. */
function flag(name) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (env.FAKE_RUNHCS_RECORD) {
  appendFileSync(env.FAKE_RUNHCS_RECORD, `${JSON.stringify({ argv, pid: process.pid })}\n`);
}
if (env.FAKE_RUNHCS_STDOUT) process.stdout.write(env.FAKE_RUNHCS_STDOUT);
if (env.FAKE_RUNHCS_STDERR) process.stderr.write(env.FAKE_RUNHCS_STDERR);

const log = flag("--log");
if (env.FAKE_RUNHCS_LOG_ERROR !== undefined && log) {
  const time = new Date().toISOString();
  appendFileSync(log, `${JSON.stringify({ level: "info", msg: "fake runhcs starting", time })}\n`);
  appendFileSync(log, `${JSON.stringify({ level: "error", msg: env.FAKE_RUNHCS_LOG_ERROR, time })}\n`);
}

const pidFile = flag("--pid-file");
if (env.FAKE_RUNHCS_PID !== undefined && pidFile) {
  const tmp = join(dirname(pidFile), `.${basename(pidFile)}`);
  writeFileSync(tmp, env.FAKE_RUNHCS_PID, { flag: "wx" });
  renameSync(tmp, pidFile);
}

if (env.FAKE_RUNHCS_GRANDCHILD) {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  writeFileSync(env.FAKE_RUNHCS_GRANDCHILD, String(child.pid));
  child.unref();
}

const code = Number(env.FAKE_RUNHCS_EXIT ?? "0");
const sleepMs = Number(env.FAKE_RUNHCS_SLEEP_MS ?? "0");
const finish = () => {
  process.exitCode = code;
};
if (sleepMs > 0) setTimeout(finish, sleepMs);
else finish();
