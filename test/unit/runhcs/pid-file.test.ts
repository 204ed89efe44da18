import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PidFileError, parsePid, readPidFile } from "../../../src/runhcs/pid-file.js";

describe("runhcs pid file", () => {
  let dir: string;
  const timers: NodeJS.Timeout[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "runhcs-pid-"));
  });
  afterEach(async () => {
    for (const t of timers.splice(0)) clearTimeout(t);
    await rm(dir, { recursive: true, force: true });
  });

  it("parsePid accepts positive decimal integers only", () => {
    assert.equal(parsePid("4242"), 4242);
    assert.equal(parsePid(" 17\r\n"), 17);
    for (const bad of ["", "0", "-1", "+5", "12abc", "1.5", "0x10", "4294967296", "1 2"]) {
      assert.equal(parsePid(bad), undefined, bad);
    }
  });

  it("reads runhcs's pid file (decimal, no newline)", async () => {
    const p = join(dir, "runhcs-pidfile.pid");
    await writeFile(p, "4242");
    assert.equal(await readPidFile(p), 4242);
  });

  it("waits for a pid file that appears, and for partial content to complete", async () => {
    const late = join(dir, "late.pid");
    const partial = join(dir, "partial.pid");
    await writeFile(partial, "");
    timers.push(setTimeout(() => void writeFile(late, "77"), 100));
    timers.push(setTimeout(() => void writeFile(partial, "88"), 100));
    assert.equal(await readPidFile(late, { timeoutMs: 10_000 }), 77);
    assert.equal(await readPidFile(partial, { timeoutMs: 10_000 }), 88);
  });

  it("fails clearly when the pid file is still missing after the bound", async () => {
    const p = join(dir, "none.pid");
    await assert.rejects(readPidFile(p, { timeoutMs: 50 }), (e: unknown) => {
      assert.ok(e instanceof PidFileError);
      assert.equal(e.problem, "missing");
      assert.equal(e.path, p);
      assert.match(e.message, /does not exist/);
      return true;
    });
  });

  it("fails clearly when the content is not a positive integer", async () => {
    for (const content of ["abc", "0", "-12"]) {
      const p = join(dir, "bad.pid");
      await writeFile(p, content);
      await assert.rejects(readPidFile(p, { timeoutMs: 50 }), (e: unknown) => {
        assert.ok(e instanceof PidFileError);
        assert.equal(e.problem, "invalid");
        assert.equal(e.content, content);
        assert.match(e.message, /does not hold a positive integer pid/);
        return true;
      });
    }
  });

  it("fails at once on a read error other than ENOENT", async () => {
    const p = join(dir, "a-dir.pid");
    await mkdir(p);
    // The bound is longer than mocha's test timeout: retrying would fail the test.
    await assert.rejects(readPidFile(p, { timeoutMs: 60_000 }), PidFileError);
  });

  it("stops retrying when aborted", async () => {
    const ac = new AbortController();
    timers.push(setTimeout(() => ac.abort(), 50));
    await assert.rejects(readPidFile(join(dir, "none.pid"), { timeoutMs: 60_000, signal: ac.signal }), {
      name: "AbortError",
    });
  });
});
