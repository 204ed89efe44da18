/** runhcs simulator: parallel calls on one container (the state lock and atomic writes). */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Sim } from "./sim-harness.js";
import { StateStore } from "./state-store.js";

describe("runhcs simulator: concurrent calls", function () {
  this.timeout(120_000);
  let sim: Sim;
  beforeEach(async () => {
    sim = new Sim();
  });
  afterEach(async () => {
    assert.deepEqual(await sim.cleanup(), []);
  });

  async function running(id: string) {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const out = sim.file("out");
    await sim.create(id, b, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", id])).code, 0);
    return out;
  }

  it("10 parallel state/ps/kill calls all succeed and see consistent state", async () => {
    await running("c");
    const calls = Array.from({ length: 10 }, (_, i) =>
      sim.run(
        i % 3 === 0 ? ["state", "c"] : i % 3 === 1 ? ["ps", "--format=json", "c"] : ["kill", "c", "SIGCONT"],
      ),
    );
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `call ${i}: ${r.stderr}`);
      if (i % 3 === 0) assert.equal((JSON.parse(r.stdout) as { status: string }).status, "running");
      if (i % 3 === 1) assert.equal((JSON.parse(r.stdout) as number[]).length, 1);
    });
  });

  it("parallel pause calls: exactly one wins, the rest see it paused; same for resume", async () => {
    await running("p");
    const pauses = await Promise.all(Array.from({ length: 5 }, () => sim.run(["pause", "p"])));
    assert.equal(pauses.filter((r) => r.code === 0).length, 1, JSON.stringify(pauses));
    for (const r of pauses.filter((x) => x.code !== 0))
      assert.equal(r.stderr, "container is already paused\n");
    const resumes = await Promise.all(Array.from({ length: 5 }, () => sim.run(["resume", "p"])));
    assert.equal(resumes.filter((r) => r.code === 0).length, 1, JSON.stringify(resumes));
    assert.equal((await sim.state("p"))?.status, "running");
  });

  it("parallel detached execs are all registered (no lost update)", async () => {
    await running("e");
    const f = sim.file("p.json", JSON.stringify({ cwd: "/", args: ["sleep", "100"] }));
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => {
        const out = sim.file(`exec-${i}`);
        return sim.run(
          ["exec", "--detach", "--process", f, "--pid-file", join(sim.dir, `exec-${i}.pid`), "e"],
          {
            stdout: out,
            stderr: out,
          },
        );
      }),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    for (let i = 0; i < 5; i++) sim.track(Number(readFileSync(join(sim.dir, `exec-${i}.pid`), "utf8")));
    const rec = JSON.parse(readFileSync(join(sim.stateDir, "default", "e", "state.json"), "utf8")) as {
      execs: Record<string, unknown>;
    };
    assert.equal(Object.keys(rec.execs).length, 5);
    const ps = JSON.parse((await sim.run(["ps", "--format=json", "e"])).stdout) as number[];
    assert.equal(ps.length, 6);
  });

  it("the store lock serialises read-modify-write across processes", async () => {
    const store = new StateStore(sim.stateDir, "lock");
    store.write({
      ociVersion: "",
      id: "n",
      bundle: "/",
      rootfs: "",
      created: "",
      owner: "",
      status: "stopped",
      shimPid: 0,
      shimStart: 0,
      initPid: 0,
      exitCode: 0,
      terminal: false,
      process: { args: ["x"], env: [], cwd: "/", terminal: false },
      execs: {},
    });
    const mod = fileURLToPath(new URL("./state-store.js", import.meta.url));
    const script = `
      const { StateStore } = await import(${JSON.stringify(mod)});
      const s = new StateStore(${JSON.stringify(sim.stateDir)}, "lock");
      for (let i = 0; i < 25; i++) s.update("n", (r) => { r.exitCode = (r.exitCode ?? 0) + 1; });`;
    await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<void>((resolve, reject) =>
            execFile(process.execPath, ["--input-type=module", "-e", script], (err) =>
              err ? reject(err) : resolve(),
            ),
          ),
      ),
    );
    assert.equal(store.read("n")?.exitCode, 200);
  });
});
