/** runhcs simulator: `process.terminal` runs the process on a pty; resize-tty reaches it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ptyLoads } from "./pty.js";
import { Sim, sleep } from "./sim-harness.js";

describe("runhcs simulator: terminal", function () {
  this.timeout(60_000);
  let sim: Sim;
  before(function () {
    if (!ptyLoads()) {
      console.log("    skipped: @lydell/node-pty does not load on this machine (no prebuilt binary)");
      this.skip();
    }
  });
  beforeEach(() => {
    sim = new Sim();
  });
  afterEach(async () => {
    if (sim) assert.deepEqual(await sim.cleanup(), []);
  });

  async function until(file: string, re: RegExp) {
    for (let i = 0; i < 300; i++) {
      const text = readFileSync(file, "utf8");
      if (re.test(text)) return text;
      await sleep(50);
    }
    throw new Error(`never matched ${re}: ${JSON.stringify(readFileSync(file, "utf8"))}`);
  }

  it("runs on a pty of consoleSize; output arrives on create's stdout", async () => {
    const b = sim.bundle({
      args: ["sh", "-c", "stty size; tty; exit 7"],
      terminal: true,
      consoleSize: { height: 30, width: 100 },
    });
    const out = sim.file("out");
    const err = sim.file("err");
    await sim.create("t", b, { stdout: out, stderr: err });
    assert.equal((await sim.run(["start", "t"])).code, 0);
    const text = await until(out, /\/dev\/pts\/\d+/);
    assert.match(text, /^30 100\r\n\/dev\/pts\/\d+\r\n/);
    await sim.waitState("t", (s) => s?.status === "stopped");
  });

  it("create's stdin feeds the pty and resize-tty changes its size (init and exec)", async () => {
    const stdin = sim.file("in", "typed\n");
    const b = sim.bundle({
      args: ["sh", "-c", "read line; echo got:$line; while :; do stty size; sleep 0.1; done"],
      terminal: true,
    });
    const out = sim.file("out");
    const err = sim.file("err");
    await sim.create("t", b, { stdin, stdout: out, stderr: err });
    assert.equal((await sim.run(["start", "t"])).code, 0);
    await until(out, /got:typed/);
    await until(out, /24 80/);
    const r = await sim.run(["resize-tty", "t", "120", "40"]);
    assert.equal(r.code, 0, r.stderr);
    await until(out, /40 120/);

    const proc = sim.file(
      "p.json",
      JSON.stringify({
        cwd: "/",
        terminal: true,
        args: ["sh", "-c", "while :; do stty size; sleep 0.1; done"],
      }),
    );
    const pidFile = sim.file("exec.pid");
    const eout = sim.file("eout");
    const e = await sim.run(["exec", "--detach", "--process", proc, "--pid-file", pidFile, "t"], {
      stdout: eout,
      stderr: eout,
    });
    assert.equal(e.code, 0, e.stderr);
    const helper = readFileSync(pidFile, "utf8");
    sim.track(Number(helper));
    await until(eout, /24 80/);
    assert.equal((await sim.run(["resize-tty", "--pid", helper, "t", "90", "33"])).code, 0);
    await until(eout, /33 90/);
  });
});
