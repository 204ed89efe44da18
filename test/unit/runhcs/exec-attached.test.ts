import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CanceledError } from "../../../src/errdefs.js";
import { RuntimeError } from "../../../src/runhcs/errors.js";
import { PidFileError } from "../../../src/runhcs/pid-file.js";
import { Runhcs } from "../../../src/runhcs/runhcs.js";
import { fakeRunhcsBinary, isAlive, readRecords } from "../../fakes/runhcs/fake.js";

describe("Runhcs.execAttached (runhcs exec without --detach)", () => {
  let dir: string;
  let rec: string;
  let pidFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "exec-attached-"));
    rec = join(dir, "argv.jsonl");
    pidFile = join(dir, "exec.pid");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function client(env: Record<string, string>, log?: string): Runhcs {
    const base: NodeJS.ProcessEnv = { ...process.env, FAKE_RUNHCS_RECORD: rec, ...env };
    delete base["RUNHCS_BINARY"];
    return new Runhcs({ binary: fakeRunhcsBinary(), env: base, ...(log ? { log, logFormat: "json" } : {}) });
  }
  const opts = () => ({ id: "c1", processFile: join(dir, "p.json"), pidFile });

  it("returns the helper pid while runhcs still runs, then the exit code runhcs exits with", async () => {
    const r = client({ FAKE_RUNHCS_PID: "4321", FAKE_RUNHCS_SLEEP_MS: "2000", FAKE_RUNHCS_EXIT: "7" });
    const before = Date.now();
    const { pid, exited } = await r.execAttached(opts(), { stdio: ["ignore", "ignore", "ignore"] });
    assert.equal(pid, 4321);
    const [call] = readRecords(rec);
    // Node reaps its children at once: alive here means the pid came while runhcs still ran.
    assert.ok(call && isAlive(call.pid), "the pid came only after runhcs exited");
    assert.ok(!call.argv.includes("--detach"), `argv: ${call.argv.join(" ")}`);
    const exit = await exited;
    assert.equal(exit.exitCode, 7);
    assert.ok(exit.exitedAt.getTime() >= before);
  });

  it("onCall: an attached exec is timed until its pid came (not its exit); other calls until runhcs exited", async () => {
    const calls: Array<{ command: string; ms: number; exitCode?: number | null }> = [];
    const base: NodeJS.ProcessEnv = { ...process.env, FAKE_RUNHCS_RECORD: rec, FAKE_RUNHCS_PID: "4321" };
    delete base["RUNHCS_BINARY"];
    const r = new Runhcs({
      binary: fakeRunhcsBinary(),
      env: { ...base, FAKE_RUNHCS_SLEEP_MS: "1500" },
      onCall: (c) => calls.push(c),
    });
    const t0 = performance.now();
    const { exited } = await r.execAttached(opts(), { stdio: ["ignore", "ignore", "ignore"] });
    const untilPid = performance.now() - t0;
    await exited;
    assert.deepEqual(
      calls.map((c) => [c.command, c.exitCode]),
      [["exec", undefined]],
      "the exit was timed too",
    );
    assert.ok((calls[0]?.ms ?? -1) >= 0 && (calls[0]?.ms ?? 0) <= untilPid, JSON.stringify(calls));
    const quick = new Runhcs({
      binary: fakeRunhcsBinary(),
      env: { ...base, FAKE_RUNHCS_EXIT: "3" },
      onCall: (c) => calls.push(c),
    });
    await assert.rejects(quick.kill("c1", 9), RuntimeError);
    assert.deepEqual([calls[1]?.command, calls[1]?.exitCode], ["kill", 3]);
  });

  it("a process that ended before the pid file was read keeps its exact code", async () => {
    for (const code of [0, 3, 255]) {
      await rm(pidFile, { force: true });
      const r = client({ FAKE_RUNHCS_PID: "99", FAKE_RUNHCS_EXIT: String(code) });
      const { pid, exited } = await r.execAttached(opts());
      assert.equal(pid, 99);
      assert.equal((await exited).exitCode, code);
    }
  });

  it("runhcs failing before its helper ran is a RuntimeError with runhcs's message", async () => {
    const log = join(dir, "runhcs.log");
    const r = client({ FAKE_RUNHCS_EXIT: "1", FAKE_RUNHCS_LOG_ERROR: "container is stopped" }, log);
    await assert.rejects(r.execAttached(opts()), (e: unknown) => {
      assert.ok(e instanceof RuntimeError, String(e));
      assert.equal(e.runtimeMessage, "container is stopped");
      return true;
    });
  });

  it("runhcs exiting 0 without a pid file is a PidFileError", async () => {
    await assert.rejects(client({}).execAttached(opts()), PidFileError);
  });

  it("no pid file within the bound: runhcs is killed and the call fails", async () => {
    const r = client({ FAKE_RUNHCS_SLEEP_MS: "20000" });
    // 2 s: long enough for the fake (a node process) to have started and recorded its pid.
    await assert.rejects(r.execAttached(opts(), { timeoutMs: 2_000 }), PidFileError);
    const [call] = readRecords(rec);
    assert.ok(call, "the fake runhcs never started");
    for (let i = 0; i < 100 && isAlive(call.pid); i++) await sleep(20);
    assert.ok(!isAlive(call.pid), "runhcs exec still running after the call gave up");
  });

  it("a cancelled request cancels the wait for the pid, not the process once it runs", async () => {
    const ac = new AbortController();
    const r = client({ FAKE_RUNHCS_SLEEP_MS: "20000" });
    const p = r.execAttached(opts(), { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("client went away")), 50);
    await assert.rejects(p, CanceledError);

    const ac2 = new AbortController();
    await rm(rec, { force: true });
    const running = client({ FAKE_RUNHCS_PID: "5", FAKE_RUNHCS_SLEEP_MS: "300", FAKE_RUNHCS_EXIT: "4" });
    const { exited } = await running.execAttached(opts(), { signal: ac2.signal });
    ac2.abort();
    assert.equal((await exited).exitCode, 4);
  });
});
