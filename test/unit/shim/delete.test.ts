import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { recordCreated } from "../../../src/bundle/created-files.js";
import { isShimFile } from "../../../src/bundle/files.js";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { DeleteResponseSchema } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { deleteShim, encodeDeleteResponse } from "../../../src/shim/delete.js";
import { defaultFlags } from "../../../src/shim/flags.js";
import { start } from "../../../src/shim/start.js";
import { fakeRunhcsBinary, readRecords } from "../../fakes/runhcs/fake.js";
import { isAlive, runShim, shimEntry, sleep, tempDir, waitGone } from "./helpers.js";

describe("shim delete", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;
  const children: ChildProcess[] = [];
  /** Servers `start` spawned (not our children: it detaches them). */
  const servers: number[] = [];

  beforeEach(() => {
    dir = tempDir("delete");
    bundle = join(dir, "bundle");
    mkdirSync(join(bundle, "rootfs"), { recursive: true });
    writeFileSync(join(bundle, "config.json"), "{}");
  });

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const pid of servers.splice(0)) {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
      await waitGone(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const flags = (id: string) => ({ ...defaultFlags(), namespace: "unit", id, bundle });
  const notFound = { delete: async () => Promise.reject(new Error("container t is not present for id")) };

  function sleeper(): ChildProcess {
    const c = spawn("sleep", ["1000"], { stdio: "ignore" });
    children.push(c);
    return c;
  }

  it("deleteShim with a live init → killed, 137, its pid, shim files removed, others kept", async () => {
    const init = sleeper();
    const exec = sleeper();
    const files = {
      "runhcs-pidfile.pid": String(init.pid),
      "runhcs-exec-e1-pidfile.pid": String(exec.pid),
      "exec-e1-process.json": "{}",
      "runhcs-shim-exec-e1.log": "",
      "runhcs.log": "",
      "runhcs-shim.log": "",
      "shim.pid": "1",
      address: "unix:///nonexistent/sock",
      ".tmp-address-0123456789ab": "",
      "keep.txt": "mine",
      "shim-binary-path": "/x",
    };
    for (const [n, c] of Object.entries(files)) writeFileSync(join(bundle, n), c);
    recordCreated(bundle, Object.keys(files).filter(isShimFile));
    const warnings: string[] = [];
    const initExit = new Promise((r) => init.once("exit", (_c, s) => r(s)));
    const execExit = new Promise((r) => exec.once("exit", (_c, s) => r(s)));
    const r = await deleteShim(flags("t"), { runhcs: notFound, warn: (m) => warnings.push(m) });
    assert.equal(await initExit, "SIGKILL");
    assert.equal(await execExit, "SIGKILL");
    assert.equal(r.pid, init.pid);
    assert.equal(r.exitStatus, 137);
    assert.deepEqual(warnings, [], "not-found from runhcs delete is not a warning");
    assert.deepEqual(readdirSync(bundle).sort(), ["config.json", "keep.txt", "rootfs", "shim-binary-path"]);
  });

  it("deleteShim leaves the files it did not create, and the processes they name, alone", async () => {
    // There before the shim (Create refused them): someone's pid file naming a live process started
    // before it was written, someone's runhcs.log.
    const foreign = sleeper();
    await new Promise((r) => foreign.once("spawn", r));
    writeFileSync(join(bundle, "runhcs-pidfile.pid"), String(foreign.pid));
    writeFileSync(join(bundle, "runhcs.log"), "someone's\n");
    // What the shim created: an exec's files (recorded before they were written, as Exec does).
    const exec = sleeper();
    await new Promise((r) => exec.once("spawn", r));
    recordCreated(bundle, ["exec-e1-process.json", "runhcs-exec-e1-pidfile.pid"]);
    writeFileSync(join(bundle, "exec-e1-process.json"), "{}");
    writeFileSync(join(bundle, "runhcs-exec-e1-pidfile.pid"), String(exec.pid));
    const execExit = new Promise((r) => exec.once("exit", (_c, s) => r(s)));

    const r = await deleteShim(flags("t"), { runhcs: notFound, warn: () => {} });
    assert.equal(await execExit, "SIGKILL");
    await sleep(200);
    assert.deepEqual([foreign.exitCode, foreign.signalCode], [null, null], "the foreign pid was killed");
    assert.deepEqual([r.pid, r.exitStatus], [0, 255]);
    assert.deepEqual(readdirSync(bundle).sort(), [
      "config.json",
      "rootfs",
      "runhcs-pidfile.pid",
      "runhcs.log",
    ]);
    assert.equal(readFileSync(join(bundle, "runhcs.log"), "utf8"), "someone's\n");
    assert.deepEqual(r.removed.sort(), [
      "exec-e1-process.json",
      "runhcs-exec-e1-pidfile.pid",
      "shim-created",
    ]);
  });

  it("after a real start: delete stops the server and removes what start wrote, not a foreign pid file", async () => {
    const foreign = sleeper();
    await new Promise((r) => foreign.once("spawn", r));
    writeFileSync(join(bundle, "runhcs-pidfile.pid"), String(foreign.pid));
    const f = { ...flags("t"), address: join(dir, "containerd.sock"), publishBinary: "/bin/false" };
    const socketDir = join(dir, "s");
    const input = toBinary(
      BootstrapParamsSchema,
      create(BootstrapParamsSchema, { namespace: "unit", socketDir }),
    );
    const entry = shimEntry(join(dir, "rt"));
    await start(f, { bundle, input, serverCommand: [process.execPath, entry] });
    const server = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    servers.push(server);

    await deleteShim(f, { runhcs: notFound, warn: () => {} });
    assert.ok(await waitGone(server), "the server still runs");
    assert.deepEqual([foreign.exitCode, foreign.signalCode], [null, null], "the foreign pid was killed");
    assert.deepEqual(readdirSync(bundle).sort(), ["config.json", "rootfs", "runhcs-pidfile.pid"]);
    assert.deepEqual(readdirSync(socketDir), [], "socket left behind");
  });

  it("deleteShim with nothing left → 255, pid 0, runhcs failure reported as a warning", async () => {
    const warnings: string[] = [];
    const failing = { delete: async () => Promise.reject(new Error("access denied")) };
    const before = Date.now();
    const r = await deleteShim(flags("t"), { runhcs: failing, warn: (m) => warnings.push(m) });
    assert.equal(r.pid, 0);
    assert.equal(r.exitStatus, 255);
    assert.ok(r.exitedAt.getTime() >= before);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /runhcs delete --force t: access denied/);
  });

  it("deleteShim with a stale socket in address → socket file removed", async () => {
    const sock = join(dir, "stale.sock");
    // a socket file nobody listens on: bind with a process that exits at once
    try {
      const script = `require("net").createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, "SIGKILL"))`;
      execFileSync(process.execPath, ["-e", script], { stdio: "ignore" });
    } catch {
      // killed by its own SIGKILL, as intended: the socket file stays
    }
    assert.ok(existsSync(sock));
    writeFileSync(join(bundle, "address"), `unix://${sock}`);
    recordCreated(bundle, ["address"]);
    await deleteShim(flags("t"), { runhcs: notFound, warn: () => {} });
    assert.deepEqual(readdirSync(dir).sort(), ["bundle"]);
  });

  it("deleteShim with the server still running → it gets SIGTERM; another process with that pid file → untouched", async () => {
    const address = `unix://${join(dir, "srv.sock")}`;
    const keepAlive = "setInterval(() => {}, 1000)";
    const server = spawn(process.execPath, ["-e", keepAlive, "--", "-socket", address], { stdio: "ignore" });
    const other = spawn(process.execPath, ["-e", keepAlive, "--", "-socket", "unix:///elsewhere"], {
      stdio: "ignore",
    });
    children.push(server, other);
    const serverExit = new Promise((r) => server.once("exit", (_c, sig) => r(sig)));
    // wait until both run node (their /proc command lines show the arguments)
    for (const c of [server, other]) {
      while (!readFileSync(`/proc/${c.pid}/cmdline`, "utf8").includes("-socket")) await sleep(20);
    }
    writeFileSync(join(bundle, "address"), address);
    writeFileSync(join(bundle, "shim.pid"), String(server.pid));
    recordCreated(bundle, ["address", "shim.pid"]);
    await deleteShim(flags("t"), { runhcs: notFound, warn: () => {} });
    assert.equal(await serverExit, "SIGTERM");

    writeFileSync(join(bundle, "address"), address);
    writeFileSync(join(bundle, "shim.pid"), String(other.pid));
    recordCreated(bundle, ["address", "shim.pid"]);
    await deleteShim(flags("t"), { runhcs: notFound, warn: () => {} });
    await sleep(200);
    assert.equal(other.exitCode, null);
    assert.equal(other.signalCode, null);
  });

  it("deleteShim with an unsafe id → error", async () => {
    await assert.rejects(deleteShim(flags("../x"), { runhcs: notFound }), /invalid id/);
  });

  it("encodeDeleteResponse → DeleteResponse fields", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const msg = fromBinary(
      DeleteResponseSchema,
      encodeDeleteResponse({ pid: 42, exitStatus: 137, exitedAt: at, removed: [] }),
    );
    assert.equal(msg.pid, 42);
    assert.equal(msg.exitStatus, 137);
    assert.ok(msg.exitedAt);
    assert.equal(timestampDate(msg.exitedAt).getTime(), at.getTime());
  });

  it("the binary: delete → DeleteResponse bytes on stdout only, warnings on stderr, exit 0", async () => {
    const entry = shimEntry(join(dir, "rt"));
    writeFileSync(join(bundle, "shim.pid"), "1");
    recordCreated(bundle, ["shim.pid"]);
    const env = { ...process.env, RUNHCS_BINARY: join(dir, "no-such-runhcs") };
    const r = await runShim(entry, ["-namespace", "unit", "-id", "t", "-bundle", bundle, "delete"], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const msg = fromBinary(DeleteResponseSchema, r.stdout);
    assert.equal(msg.exitStatus, 255);
    assert.equal(msg.pid, 0);
    assert.match(r.stderr, /runhcs delete --force t:/);
    assert.deepEqual(readdirSync(bundle).sort(), ["config.json", "rootfs"]);
  });

  it("the binary: delete passes runhcs the --root the task was created with (runhcs-root in the bundle)", async () => {
    const entry = shimEntry(join(dir, "rt"));
    writeFileSync(join(bundle, "runhcs-root"), "tenant-a");
    recordCreated(bundle, ["runhcs-root"]);
    const record = join(dir, "argv.jsonl");
    const env = { ...process.env, RUNHCS_BINARY: fakeRunhcsBinary(), FAKE_RUNHCS_RECORD: record };
    const r = await runShim(entry, ["-namespace", "unit", "-id", "t", "-bundle", bundle, "delete"], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const [call] = readRecords(record);
    assert.ok(call, "runhcs was not run");
    const at = call.argv.indexOf("--root");
    assert.ok(at >= 0 && call.argv[at + 1] === "tenant-a", call.argv.join(" "));
    assert.deepEqual(call.argv.slice(-3), ["delete", "--force", "t"]);
    assert.ok(!existsSync(join(bundle, "runhcs-root")), "runhcs-root left in the bundle");
  });
});
