/**
 * Wine driver: the runhcs simulator's `delete --force` of a running container with an exec (compute
 * system, processes and helpers gone, pid-<helper> values cleared by the exiting helpers, key removed),
 * and kill's LCOW signal validation (a spec with a `linux` section).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { removeTemp, runDriver } from "./report.js";
import {
  alive,
  gone,
  makeBundle,
  parents,
  processFile,
  readPid,
  regKeyExists,
  regValue,
  runhcs,
} from "./runhcs-sim-lib.js";

const LONG = "setInterval(() => {}, 1000);";

runDriver(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-runhcs-del-"));
  const ids = [`f${process.pid}`, `l${process.pid}`];
  const [id, lcow] = ids as [string, string];
  const pids: number[] = [];
  const report: Record<string, unknown> = {};
  try {
    const bundle = makeBundle(path.join(tmp, "f"), LONG);
    await runhcs(["create", "--bundle", bundle, "--pid-file", path.join(tmp, "f.pid"), id]);
    await runhcs(["start", id]);
    const helper = readPid(path.join(tmp, "f.pid"));
    const init = regValue(id, "pid") as number;
    const cs = (await parents()).get(init) ?? 0;
    const execPidFile = path.join(tmp, "e.pid");
    const file = processFile(tmp, "long", [process.execPath, "-e", LONG]);
    await runhcs(["exec", "--detach", "--process", file, "--pid-file", execPidFile, id]);
    const execHelper = readPid(execPidFile);
    const exec = regValue(id, `pid-${execHelper}`) as number;
    pids.push(helper, init, cs, execHelper, exec);
    const before = { init, exec, helper, execHelper };
    const del = await runhcs(["delete", "--force", id]);
    report.force = {
      code: del.code,
      stderr: del.stderr,
      recorded: [...Object.values(before), cs].every((p) => p > 0),
      // Right when delete returned: everything is gone already (helpers included).
      aliveAtReturn: Object.entries(before)
        .filter(([, p]) => alive(p))
        .map(([k]) => k),
      key: regKeyExists(id),
      computeSystemGone: await gone(cs),
    };

    const lb = makeBundle(path.join(tmp, "l"), LONG, { linux: true });
    await runhcs(["create", "--bundle", lb, "--pid-file", path.join(tmp, "l.pid"), lcow]);
    await runhcs(["start", lcow]);
    const linit = regValue(lcow, "pid") as number;
    pids.push(readPid(path.join(tmp, "l.pid")), linit);
    const k = async (sig: string) => {
      const r = await runhcs(["kill", lcow, sig]);
      return `${r.code} ${r.stderr.trim()}`.trim();
    };
    report.lcow = {
      SIGUSR1: await k("SIGUSR1"),
      zero: await k("0"),
      n32: await k("32"),
      CTRLC: await k("CTRLC"),
      USR1: await k("USR1"),
      initGone: await gone(linit),
    };
    await runhcs(["delete", "--force", lcow]);
    report.lcowKey = regKeyExists(lcow);
    return report;
  } finally {
    for (const i of ids) if (regKeyExists(i)) await runhcs(["delete", "--force", i]).catch(() => {});
    for (const p of pids) {
      try {
        if (p) process.kill(p);
      } catch {}
    }
    report.tempLeft = removeTemp(tmp);
  }
});
