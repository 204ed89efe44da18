/**
 * Wine driver: the runhcs simulator (runhcs.exe) against the real runhcs's behaviour, one WCOW container
 * through its life: registry state after create/start/exit/delete, topology (Toolhelp parent pids: the
 * container's processes are the compute system's, not the helpers'), stdio through the helper, a killed
 * helper that leaves its process running, the fake HCS pipe, exec exit codes, kill's signal validation,
 * the short-exec race knob, init exit stopping the container. Reports what it saw; the test asserts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { removeTemp, runDriver } from "./report.js";
import {
  alive,
  ancestors,
  createWithStdio,
  gone,
  hcs,
  makeBundle,
  parents,
  processFile,
  readPid,
  regKeyExists,
  regValue,
  runhcs,
  until,
} from "./runhcs-sim-lib.js";

const INIT = `process.stdout.write("init up\\n"); let t = ""; process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { t += d; }); process.stdin.on("end", () => process.stdout.write("got:" + t + "\\n"));
setInterval(() => {}, 1000);`;
const LONG = "setInterval(() => {}, 1000);";
const node = (script: string) => [process.execPath, "-e", script];

runDriver(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-runhcs-sim-"));
  const id = `s${process.pid}`;
  const report: Record<string, unknown> = { id };
  const pids: number[] = [];
  try {
    const bundle = makeBundle(path.join(tmp, "bundle"), INIT);
    const log = path.join(tmp, "runhcs.log");
    const created = createWithStdio(id, bundle, "ping");
    report.createCode = await created.done;
    const helper = readPid(path.join(bundle, "init.pid"));
    pids.push(helper);
    const st = regValue(id, "state") as { ID: string; Bundle: string; Spec: { process: unknown } };
    report.afterCreate = {
      state: { ID: st.ID, Bundle: st.Bundle, hasSpec: st.Spec.process !== undefined },
      shimIsHelper: regValue(id, "shim") === helper,
      pid: regValue(id, "pid") ?? null,
      status: JSON.parse((await runhcs(["state", id])).stdout).status,
    };

    report.startCode = (await runhcs(["start", id])).code;
    const initPid = regValue(id, "pid") as number;
    pids.push(initPid);
    const stateAfterStart = JSON.parse((await runhcs(["state", id])).stdout);
    let tree = await parents();
    const cs = tree.get(initPid) ?? 0;
    pids.push(cs);
    report.afterStart = {
      status: stateAfterStart.status,
      statePidIsHelper: stateAfterStart.pid === helper,
      pidMap: regValue(id, `pid-${helper}`) === initPid,
      psHasInit: (JSON.parse((await runhcs(["ps", id])).stdout) as number[]).includes(initPid),
      initIsHelpersDescendant: ancestors(tree, initPid).includes(helper),
      initParentIsHelper: cs === helper,
    };
    await until(() => created.output().includes("got:"), "init output through the helper");
    report.initOutput = created.output();

    // Exec without --detach: runhcs exec exits with the helper's (= the process's) exact code.
    const crash = processFile(
      tmp,
      "crash",
      node('process.stdout.write("exec out\\n"); process.exit(-1073741819)'),
    );
    const crashPidFile = path.join(tmp, "crash.pid");
    const r = await runhcs(["exec", "--process", crash, "--pid-file", crashPidFile, id]);
    report.execWait = { code: r.code, stdout: r.stdout, helperGone: !alive(readPid(crashPidFile)) };

    // A detached exec whose helper is killed: the process is the compute system's and keeps running.
    const longFile = processFile(tmp, "long", node(LONG));
    const e1PidFile = path.join(tmp, "e1.pid");
    const e1 = await runhcs(["exec", "--detach", "--process", longFile, "--pid-file", e1PidFile, id]);
    const h1 = readPid(e1PidFile);
    const x1 = regValue(id, `pid-${h1}`) as number;
    pids.push(h1, x1);
    tree = await parents();
    report.execTopology = {
      code: e1.code,
      parentIsComputeSystem: tree.get(x1) === cs,
      isHelpersDescendant: ancestors(tree, x1).includes(h1),
    };
    process.kill(h1);
    const h1Gone = await gone(h1);
    await new Promise((res) => setTimeout(res, 1000)); // a kill of x1, had there been one, has landed
    report.helperKilled = {
      h1Gone,
      processAlive: alive(x1),
      inPs: (JSON.parse((await runhcs(["ps", id])).stdout) as number[]).includes(x1),
      pidMapKept: regValue(id, `pid-${h1}`) === x1,
    };

    // The fake HCS endpoint.
    report.hcs = {
      open: await hcs(id, `open ${x1}`),
      openUnknown: await hcs(id, "open 4000000"),
      badSignal: await hcs(id, `signal ${x1} {"Signal":"Bogus"}`),
      lcowSignalOnWcow: await hcs(id, `signal ${x1} {"Signal":15}`),
      terminate: await hcs(id, `terminate ${x1}`),
      terminatedGone: await gone(x1),
      openAfter: await hcs(id, `open ${x1}`),
    };

    // A process with a handler that ignores ctrl events: delivered, still running.
    const ignoring = processFile(tmp, "ignoring", node(LONG), ["RUNHCS_WINE_SIM_IGNORE_CTRL=1"]);
    const e2PidFile = path.join(tmp, "e2.pid");
    await runhcs(["exec", "--detach", "--process", ignoring, "--pid-file", e2PidFile, id]);
    const h2 = readPid(e2PidFile);
    const x2 = regValue(id, `pid-${h2}`) as number;
    pids.push(h2, x2);
    const sigIgnored = await hcs(id, `signal ${x2} {"Signal":"CtrlShutdown"}`);
    await new Promise((res) => setTimeout(res, 1000));
    report.ctrlIgnored = { reply: sigIgnored, alive: alive(x2) };

    // A ctrl event through the fake HCS ends a default process with STATUS_CONTROL_C_EXIT, which its
    // helper (and `runhcs exec` waiting on it) exits with; the helper clears pid-<helper>.
    const e3PidFile = path.join(tmp, "e3.pid");
    const e3 = runhcs(["exec", "--process", longFile, "--pid-file", e3PidFile, id]);
    const h3 = (await until(() => fs.existsSync(e3PidFile) && readPid(e3PidFile), "e3 pid file")) as number;
    const x3 = (await until(() => regValue(id, `pid-${h3}`), "pid-<e3 helper>")) as number;
    pids.push(h3, x3);
    const ctrlReply = await hcs(id, `signal ${x3} {"Signal":"CtrlC"}`);
    report.ctrlC = { reply: ctrlReply, code: (await e3).code };
    report.ctrlC = { ...(report.ctrlC as object), pidMapCleared: regValue(id, `pid-${h3}`) === undefined };

    // kill: only what ValidateSigstrWCOW accepts.
    const k7 = await runhcs(["kill", id, "7"], { log });
    const kUsr1 = await runhcs(["kill", id, "SIGUSR1"], { log });
    report.killInvalid = {
      codes: [k7.code, kUsr1.code],
      stderr: [k7.stderr.trim(), kUsr1.stderr.trim()],
      log: fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).msg),
    };

    // The short-exec race on demand: exec --detach returns after the exec and its helper are gone.
    const short = processFile(tmp, "short", ["C:\\windows\\system32\\cmd.exe", "/c", "exit 7"]);
    const racePidFile = path.join(tmp, "race.pid");
    const race = await runhcs(["exec", "--detach", "--process", short, "--pid-file", racePidFile, id], {
      env: { ...process.env, RUNHCS_WINE_SIM_EXEC_RETURN_DELAY_MS: "helper-exit" },
    });
    const hr = readPid(racePidFile);
    report.race = { code: race.code, helperAlive: alive(hr), pidMap: regValue(id, `pid-${hr}`) ?? null };

    const plainDelete = await runhcs(["delete", id]);
    report.deleteRunning = { code: plainDelete.code, stderr: plainDelete.stderr.trim() };

    // kill (default CtrlShutdown) of the init: the container stops, the other processes go with it.
    report.killInit = (await runhcs(["kill", id])).code;
    report.afterInitExit = {
      initGone: await gone(initPid),
      helperGone: await gone(helper),
      ignoringExecGone: await gone(x2),
      status: JSON.parse((await runhcs(["state", id])).stdout).status,
      shim: regValue(id, "shim"),
      pidMapCleared: regValue(id, `pid-${helper}`) === undefined,
      initPidKept: regValue(id, "pid") === initPid,
      killAgain: (await runhcs(["kill", id])).stderr.trim(),
      computeSystemAlive: alive(cs),
    };
    const del = await runhcs(["delete", id]);
    report.deleted = {
      code: del.code,
      key: regKeyExists(id),
      pipe: await hcs(id, "open 1"),
      computeSystemGone: await gone(cs),
    };
    created.closeOutput();
    return report;
  } finally {
    if (regKeyExists(id)) await runhcs(["delete", "--force", id]).catch(() => {});
    for (const p of pids) {
      try {
        if (p) process.kill(p);
      } catch {}
    }
    report.tempLeft = removeTemp(tmp);
  }
});
