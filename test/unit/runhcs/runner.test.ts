import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeadlineExceededError } from "../../../src/errdefs.js";
import { Runhcs } from "../../../src/runhcs/runhcs.js";
import { Code, StatusError } from "../../../src/ttrpc/status.js";
import { fakeRunhcsBinary, isAlive, readRecords, waitGone } from "../../fakes/runhcs/fake.js";

describe("runhcs process runner (fake runhcs process)", () => {
  let dir: string;
  let rec: string;
  const pids: number[] = [];
  const fds: number[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "runhcs-runner-"));
    rec = join(dir, "argv.jsonl");
  });
  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    for (const fd of fds.splice(0)) closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  function client(env: Record<string, string>): Runhcs {
    return new Runhcs({
      binary: fakeRunhcsBinary(),
      env: { ...process.env, FAKE_RUNHCS_RECORD: rec, ...env },
    });
  }

  it("kills runhcs and rejects with DeadlineExceededError when the call times out", async () => {
    let pid: number | undefined;
    const call = client({ FAKE_RUNHCS_SLEEP_MS: "60000" }).run(["start", "c1"], {
      timeoutMs: 500,
      onSpawn: (io) => {
        pid = io.pid;
      },
    });
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof DeadlineExceededError);
      assert.equal(e.code, Code.DeadlineExceeded);
      assert.match(e.message, /runhcs start timed out after 500 ms/);
      return true;
    });
    assert.ok(pid !== undefined);
    assert.ok(await waitGone(pid), "runhcs was not killed");
  });

  it("kills runhcs and rejects with Canceled when the signal aborts", async () => {
    const ac = new AbortController();
    const call = client({ FAKE_RUNHCS_SLEEP_MS: "60000" }).state("c1", {
      signal: ac.signal,
      timeoutMs: 60_000,
    });
    // state() has no onSpawn: abort once the fake recorded itself, so it is surely running.
    for (let i = 0; i < 500 && readRecords(rec).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const pid = readRecords(rec)[0]?.pid;
    ac.abort();
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, Code.Canceled);
      assert.match(e.message, /runhcs state: context canceled/);
      return true;
    });
    assert.ok(pid !== undefined);
    assert.ok(await waitGone(pid), "runhcs was not killed");
  });

  it("does not spawn when the signal is already aborted", async () => {
    await assert.rejects(client({}).start("c1", { signal: AbortSignal.abort() }), { code: Code.Canceled });
    assert.deepEqual(readRecords(rec), []);
  });

  it("returns captured output even when a grandchild keeps stdout open", async () => {
    const gc = join(dir, "grandchild.pid");
    const out = JSON.stringify({ id: "c1", pid: 7, status: "created" });
    const call = client({ FAKE_RUNHCS_GRANDCHILD: gc, FAKE_RUNHCS_STDOUT: out }).state("c1", {
      timeoutMs: 20_000,
    });
    const state = await call;
    const gcPid = Number(readFileSync(gc, "utf8"));
    pids.push(gcPid);
    assert.equal(state.status, "created");
    assert.ok(isAlive(gcPid), "the grandchild should still hold stdout");
  });

  it("resolves on runhcs's exit when a grandchild holds the caller's stdio", async () => {
    const gc = join(dir, "grandchild.pid");
    const fd = openSync(join(dir, "stdout"), "w");
    fds.push(fd);
    await client({ FAKE_RUNHCS_GRANDCHILD: gc }).create(
      { id: "c1", bundle: dir },
      { stdio: ["ignore", fd, fd], timeoutMs: 20_000 },
    );
    const gcPid = Number(readFileSync(gc, "utf8"));
    pids.push(gcPid);
    assert.ok(isAlive(gcPid));
  });

  it("reports a non-zero exit code without killing anything", async () => {
    await assert.rejects(client({ FAKE_RUNHCS_EXIT: "42" }).pause("c1"), {
      name: "RuntimeError",
      exitCode: 42,
    });
  });
});
