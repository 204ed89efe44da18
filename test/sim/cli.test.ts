/** runhcs simulator: command-line contract (flags, arity, global flags, error logging). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Sim } from "./sim-harness.js";

describe("runhcs simulator: command line", function () {
  this.timeout(60_000);
  let sim: Sim;
  beforeEach(() => {
    sim = new Sim();
  });
  afterEach(async () => {
    assert.deepEqual(await sim.cleanup(), []);
  });

  it("rejects unknown flags like urfave/cli (message + exit 1)", async () => {
    const r = await sim.run(["create", "--bogus", "x", "id"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "flag provided but not defined: -bogus\n");
    assert.match(r.stdout, /^Incorrect Usage: flag provided but not defined: -bogus/);
    const g = await sim.run(["--nope", "state", "id"]);
    assert.equal(g.stderr, "flag provided but not defined: -nope\n");
    const missing = await sim.run(["create", "--bundle"]);
    assert.equal(missing.stderr, "flag needs an argument: -bundle\n");
  });

  it("checks arity", async () => {
    const cases: [string[], string][] = [
      [["start"], 'runhcs: "start" requires exactly 1 argument(s)'],
      [["state", "a", "b"], 'runhcs: "state" requires exactly 1 argument(s)'],
      [["kill"], 'runhcs: "kill" requires a minimum of 1 argument(s)'],
      [["kill", "a", "9", "x"], 'runhcs: "kill" requires a maximum of 2 argument(s)'],
      [["resize-tty", "a", "1"], 'runhcs: "resize-tty" requires exactly 3 argument(s)'],
    ];
    for (const [args, msg] of cases) {
      const r = await sim.run(args);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stderr, `${msg}\n`);
    }
  });

  it("create checks a pod as runhcs does: a workload's sandbox must exist and be a sandbox; a sandbox is its own", async () => {
    const TYPE = "io.kubernetes.cri.container-type";
    const SANDBOX = "io.kubernetes.cri.sandbox-id";
    const pod = (annotations: Record<string, string>) => sim.bundle({ args: ["true"] }, { annotations });
    let n = 0;
    const stdio = () => ({ stdout: sim.file(`out${n}`), stderr: sim.file(`err${n++}`) });
    const create = (id: string, bundle: string) => sim.run(["create", "--bundle", bundle, id], stdio());
    const orphan = await create("w1", pod({ [TYPE]: "container", [SANDBOX]: "sb" }));
    assert.deepEqual([orphan.code, orphan.stderr], [1, "state 'state' is not present for ID 'sb'\n"]);
    const wrongId = await create("sb2", pod({ [TYPE]: "sandbox", [SANDBOX]: "other" }));
    assert.deepEqual([wrongId.code, wrongId.stderr], [1, "sandbox ID must match ID\n"]);
    await sim.create("plain", pod({}), stdio());
    const notSandbox = await create("w2", pod({ [TYPE]: "container", [SANDBOX]: "plain" }));
    assert.deepEqual([notSandbox.code, notSandbox.stderr], [1, "container plain is not a sandbox\n"]);
    await sim.create("sb", pod({ [TYPE]: "sandbox", [SANDBOX]: "sb" }), stdio());
    await sim.create("w1", pod({ [TYPE]: "container", [SANDBOX]: "sb" }), stdio());
    for (const id of ["w1", "sb", "plain"]) assert.equal((await sim.run(["delete", "--force", id])).code, 0);
  });

  it("rejects unknown subcommands and log formats", async () => {
    const r = await sim.run(["frobnicate", "x"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "No help topic for 'frobnicate'\n");
    const f = await sim.run(["--log-format", "xml", "list"]);
    assert.equal(f.code, 1);
    assert.equal(f.stderr, 'unknown log-format "xml"\n');
  });

  it("appends a logrus JSON error line to --log with --log-format json", async () => {
    const log = sim.file("runhcs.log");
    const r = await sim.run(["--log", log, "--log-format", "json", "kill", "ghost", "9"]);
    assert.equal(r.code, 1);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const last = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    assert.equal(last.level, "error");
    assert.equal(last.msg, "state 'state' is not present for ID 'ghost'");
    assert.ok(!Number.isNaN(Date.parse(String(last.time))));
  });

  it("validates bundles: config.json, layer folders, root", async () => {
    const noConfig = sim.file("empty-bundle");
    const r1 = await sim.run(["create", "--bundle", noConfig, "x"]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /config\.json: no such file or directory/);
    const b2 = sim.bundle(
      { args: ["true"] },
      { root: undefined, windows: { layerFolders: ["rootfs", "missing-layer"] } },
    );
    const r2 = await sim.run(["create", "--bundle", b2, "x"]);
    assert.match(r2.stderr, /layer folder '.*missing-layer' does not exist/);
    const b3 = sim.bundle({ args: ["true"] }, { root: undefined });
    assert.match(
      (await sim.run(["create", "--bundle", b3, "x"])).stderr,
      /neither windows.layerFolders nor root.path/,
    );
    const b4 = sim.bundle({ args: [] });
    assert.equal((await sim.run(["create", "--bundle", b4, "x"])).stderr, "args must not be empty\n");
    const b5 = sim.bundle({ args: ["true"] }, { root: undefined, windows: { layerFolders: ["rootfs"] } });
    const out = sim.file("out");
    await sim.create("ok", b5, { stdout: out, stderr: out });
    const dup = await sim.run(["create", "--bundle", b5, "ok"]);
    assert.equal(dup.stderr, "container with id 'ok' already exists\n");
    assert.equal((await sim.state("ok"))?.rootfs, "", "layerFolders without root.path: rootfs is empty");
  });

  it("--root selects a separate state namespace; list shows it", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] }, { annotations: { a: "b" } });
    const out = sim.file("out");
    await sim.create("r1", b, { stdout: out, stderr: out }, ["--root", "Software\\Sim\\One"]);
    assert.equal((await sim.run(["state", "r1"])).code, 1, "not visible in the default root");
    const s = await sim.state("r1", ["--root", "Software\\Sim\\One"]);
    assert.deepEqual(Object.keys(s ?? {}), [
      "ociVersion",
      "id",
      "pid",
      "status",
      "bundle",
      "rootfs",
      "created",
      "annotations",
      "owner",
    ]);
    const list = await sim.run(["--root", "Software\\Sim\\One", "list", "--format=json"]);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id),
      ["r1"],
    );
    assert.equal((await sim.run(["list", "--format", "json"])).stdout, "null\n");
  });

  it("validates kill signals and resize-tty sizes", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const out = sim.file("out");
    await sim.create("v", b, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", "v"])).code, 0);
    assert.equal((await sim.run(["kill", "v", "SIGBOGUS"])).stderr, "invalid signal 'SIGBOGUS'\n");
    assert.equal((await sim.run(["resize-tty", "v", "0", "10"])).code, 1);
    assert.equal((await sim.run(["resize-tty", "v", "80", "65536"])).code, 1);
    assert.equal((await sim.run(["resize-tty", "v", "80", "24"])).code, 0, "no pty: accepted, nothing to do");
    const bad = await sim.run(["resize-tty", "--pid", "1", "v", "80", "24"]);
    assert.equal(bad.stderr, "state 'pid-1' is not present for ID 'v'\n");
  });
});
