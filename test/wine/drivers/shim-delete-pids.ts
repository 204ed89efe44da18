/**
 * Wine driver: the shim binary's `delete` action and the runhcs pid files it finds in the bundle, on the
 * real Windows node (so the Windows platform decides, through kernel32 `GetProcessTimes`).
 * - stale: pid files last written an hour ago (the shim died long ago) naming live processes that
 *   started just now (pids recycled) → delete must leave them running;
 * - fresh: pid files written after their processes started, naming live helper-like processes (each
 *   with a child, the container process) → delete must kill them and their children.
 * Reports, per case, the delete's exit code, stderr and DeleteResponse, and which processes are left.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { recordCreated } from "../../../src/bundle/created-files.js";
import { DeleteResponseSchema } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { removeTemp, runDriver, within } from "./report.js";
import { alive, gone, runShim } from "./shim-run.js";

const PID_FILES = ["runhcs-pidfile.pid", "runhcs-exec-e1-pidfile.pid"];
/** A helper-like process: starts a child (the "container process") and prints its pid. */
const HELPER = `const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"],
  { stdio: "ignore" }); process.stdout.write(String(c.pid) + "\\n"); setInterval(() => {}, 1000);`;

/** Every pid this driver caused, killed in the end whatever happened. */
const started: number[] = [];
const children: ChildProcess[] = [];

/** Starts `node.exe -e script`; resolves once it runs, with its first stdout line when `line`. */
async function start(script: string, line: boolean): Promise<{ pid: number; printed: string }> {
  const c = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", line ? "pipe" : "ignore", "ignore"],
  });
  children.push(c);
  await within(
    new Promise((resolve, reject) => {
      c.once("spawn", resolve);
      c.once("error", reject);
    }),
    30_000,
    "spawn",
  );
  started.push(c.pid ?? 0);
  let printed = "";
  if (line && c.stdout) {
    const out = c.stdout.setEncoding("utf8");
    printed = await within(
      new Promise<string>((resolve) => {
        out.on("data", (d: string) => {
          printed += d;
          if (printed.includes("\n")) resolve(printed.trim());
        });
      }),
      30_000,
      "helper's child pid",
    );
    started.push(Number(printed));
  }
  return { pid: c.pid ?? 0, printed };
}

function shimDelete(id: string, bundle: string, cwd: string) {
  const address = `\\\\.\\pipe\\containerd-wine-${id}`;
  return runShim(
    ["-id", id, "-address", address, "-publish-binary", "nul", "-bundle", bundle, "delete"],
    cwd,
  );
}

/** A bundle whose pid files are the shim's own (recorded, as Create and Exec record them). */
async function bundleIn(tmp: string, name: string): Promise<string> {
  const bundle = path.join(tmp, name);
  fs.mkdirSync(bundle, { recursive: true });
  fs.writeFileSync(path.join(bundle, "config.json"), "{}");
  recordCreated(bundle, PID_FILES);
  return bundle;
}

async function runDelete(tmp: string, bundle: string) {
  const id = `d${randomBytes(4).toString("hex")}`;
  const del = await within(shimDelete(id, bundle, tmp), 60_000, "shim delete");
  return {
    code: del.code,
    stderr: del.stderr,
    exitStatus: del.code === 0 ? fromBinary(DeleteResponseSchema, del.stdout).exitStatus : undefined,
    bundleFiles: fs.readdirSync(bundle).sort(),
  };
}

runDriver(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-delete-pids-"));
  try {
    // Stale: unrelated processes started now; their pid files last written an hour ago.
    const staleBundle = await bundleIn(tmp, "stale");
    const unrelated: number[] = [];
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const file of PID_FILES) {
      const { pid } = await start("setInterval(() => {}, 1000)", false);
      unrelated.push(pid);
      const pidFile = path.join(staleBundle, file);
      fs.writeFileSync(pidFile, String(pid));
      fs.utimesSync(pidFile, anHourAgo, anHourAgo);
    }
    const staleMtimes = PID_FILES.map((f) => fs.statSync(path.join(staleBundle, f)).mtimeMs);
    const stale = await runDelete(tmp, staleBundle);
    await new Promise((r) => setTimeout(r, 500)); // a kill, had there been one, has landed by now
    const stillRunning = unrelated.filter(alive);

    // Fresh: helper-like processes with a child each; pid files written after they started.
    const freshBundle = await bundleIn(tmp, "fresh");
    const helpers: { pid: number; child: number }[] = [];
    for (const file of PID_FILES) {
      const h = await start(HELPER, true);
      helpers.push({ pid: h.pid, child: Number(h.printed) });
      fs.writeFileSync(path.join(freshBundle, file), String(h.pid));
    }
    const fresh = await runDelete(tmp, freshBundle);
    const all = helpers.flatMap((h) => [h.pid, h.child]);
    const left: number[] = [];
    for (const p of all) if (!(await gone(p, 15_000))) left.push(p);

    return {
      stale: { ...stale, unrelated, stillRunning, mtimeAgeMs: staleMtimes.map((m) => Date.now() - m) },
      fresh: { ...fresh, helpers, checked: all.length, left },
    };
  } finally {
    for (const p of started) {
      try {
        process.kill(p);
      } catch {}
    }
    for (const c of children) c.kill();
    removeTemp(tmp);
  }
});
