import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcProcessTree, parentPidFromStat, startTicksFromStat } from "../../../src/platform/posix-tree.js";
import { PosixSignals } from "../../../src/platform/signals.js";

describe("platform/posix-tree parentPidFromStat", () => {
  it("reads the ppid after the last ')' even when the command name has spaces and parentheses", () => {
    assert.equal(parentPidFromStat("42 (a b) c) S 7 42 42 0 -1"), 7);
    assert.equal(parentPidFromStat("1 (init) S 0 1 1"), 0);
    assert.equal(parentPidFromStat("garbage"), undefined);
  });
});

describe("platform/posix-tree with a fake /proc", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "h7-proc-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const proc = (pid: number, ppid: number, comm = "x") => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), "stat"), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1`);
  };

  it("without task/*/children files → from every stat's ppid, all levels, not the root", async () => {
    proc(10, 1);
    proc(11, 10, "a) (b");
    proc(12, 10);
    proc(13, 11);
    proc(14, 13);
    proc(20, 1);
    mkdirSync(join(root, "self"));
    assert.deepEqual(
      (await new ProcProcessTree(root).descendants(10)).sort((a, b) => a - b),
      [11, 12, 13, 14],
    );
    assert.deepEqual(await new ProcProcessTree(root).descendants(14), []);
    assert.deepEqual(await new ProcProcessTree(root).descendants(999), []);
  });

  it("with task/*/children files → read from every thread's children list", async () => {
    const children = (pid: number, tid: number, list: number[]) => {
      mkdirSync(join(root, String(pid), "task", String(tid)), { recursive: true });
      writeFileSync(
        join(root, String(pid), "task", String(tid), "children"),
        list.map((p) => `${p} `).join(""),
      );
    };
    children(10, 10, [11]);
    children(10, 15, [12]); // a child started by another thread of 10
    children(11, 11, [13]);
    children(12, 12, []);
    children(13, 13, []);
    assert.deepEqual(
      (await new ProcProcessTree(root).descendants(10)).sort((a, b) => a - b),
      [11, 12, 13],
    );
  });
});

(process.platform === "linux" ? describe : describe.skip)(
  "platform/posix-tree with real processes",
  function () {
    this.timeout(60_000);
    it("descendants lists a real tree; killing them all (kill-all) ends it", async () => {
      const parent = spawn(
        "sh",
        ["-c", `sleep 60 & echo $!; sh -c 'sleep 60 & echo $!; wait' & echo $!; wait`],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      try {
        let out = "";
        parent.stdout?.setEncoding("utf8");
        parent.stdout?.on("data", (d: string) => {
          out += d;
        });
        while (out.split("\n").length < 4) await once(parent.stdout!, "data");
        const expected = out
          .trim()
          .split("\n")
          .map(Number)
          .sort((a, b) => a - b);
        const tree = new ProcProcessTree();
        const found = (await tree.descendants(parent.pid!)).sort((a, b) => a - b);
        assert.deepEqual(found, expected);
        const signals = new PosixSignals();
        for (const pid of found) assert.equal(signals.kill(pid, 9), true);
        const [code] = await once(parent, "exit");
        assert.equal(code, 0, "its wait returned: the children are gone");
        assert.equal(signals.kill(found[0]!, 9), false, "ESRCH → false");
      } finally {
        parent.kill("SIGKILL");
      }
    });
  },
);

describe("platform/posix-tree startedAt", () => {
  it("startTicksFromStat reads field 22, also when the command name has spaces and ')'", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)).join(" ");
    assert.equal(startTicksFromStat(`42 (a b) c) ${fields}`), 22);
    assert.equal(startTicksFromStat("garbage"), undefined);
  });

  it("a process just started → a start time of about now; a pid that does not exist → undefined", async () => {
    const before = Date.now();
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    await once(child, "spawn");
    try {
      const started = await new ProcProcessTree().startedAt(child.pid!);
      assert.ok(started, "no start time");
      // btime has whole seconds and start times 10 ms ticks: allow for both.
      assert.ok(Math.abs(started.getTime() - before) < 2_000, `started ${started.toISOString()}`);
      assert.equal(await new ProcProcessTree().startedAt(2 ** 22 + 17), undefined);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
