/** The simulator's pty: the exit is reported after the terminal's last output, never before it. */
import assert from "node:assert/strict";
import { END_GRACE_MS, type PtyProcess, ptyLoads, spawnPty } from "./pty.js";

function run(script: string): { term: PtyProcess; output: () => string } {
  const term = spawnPty("sh", ["-c", script], {
    cols: 100,
    rows: 30,
    cwd: "/",
    env: { PATH: process.env.PATH ?? "" },
  });
  const chunks: Buffer[] = [];
  term.onData((d) => chunks.push(d));
  return { term, output: () => Buffer.concat(chunks).toString() };
}

describe("runhcs simulator: pty", function () {
  this.timeout(20_000);
  before(function () {
    if (!ptyLoads()) this.skip(); // no prebuilt @lydell/node-pty binary for this platform
  });

  it("reports the exit after every byte written before it (20 x 11 KB), on a terminal of the asked size", async () => {
    for (let i = 0; i < 20; i++) {
      const { term, output } = run("stty size; tty; seq 1 2000; exit 5");
      assert.deepEqual(await term.exited, { exitCode: 5, signal: 0 });
      const text = output();
      assert.match(text, /^30 100\r\n\/dev\/pts\/\d+\r\n1\r\n/);
      assert.ok(text.endsWith("\r\n2000\r\n"), `output cut: ${JSON.stringify(text.slice(-40))}`);
    }
  });

  it("a descendant that keeps the terminal open does not hold the exit or its output back", async () => {
    const { term, output } = run("echo before; sleep 30 & echo bg=$!; exit 2");
    const t0 = Date.now();
    assert.equal((await term.exited).exitCode, 2);
    assert.ok(Date.now() - t0 < END_GRACE_MS, "exit held by the background child");
    const bg = Number(/bg=(\d+)/.exec(output())?.[1]);
    assert.match(output(), /before/);
    process.kill(bg, "SIGKILL");
  });

  it("input reaches the process; the end marker never shows in the output", async () => {
    const { term, output } = run("read line; echo got:$line; exit 0");
    term.write("typed\n");
    assert.equal((await term.exited).exitCode, 0);
    assert.match(output(), /got:typed\r\n$/);
    assert.doesNotMatch(output(), /SIMPTYEND/);
  });

  it("reports a death by signal", async () => {
    const { term } = run("kill -KILL $$");
    assert.deepEqual(await term.exited, { exitCode: 0, signal: 9 });
  });
});
