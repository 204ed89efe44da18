import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { isContainerStopped, RuntimeError } from "../../../src/runhcs/errors.js";
import { readPidFile } from "../../../src/runhcs/pid-file.js";
import { Runhcs, type RunhcsOptions } from "../../../src/runhcs/runhcs.js";
import { fakeRunhcsBinary, readRecords } from "../../fakes/runhcs/fake.js";
import { RecordingRunner } from "../../fakes/runhcs/recording-runner.js";
import { everyGlobal, everyGlobalArgv, SHIM_LOG_PIPE as PIPE } from "./fixtures.js";

const STATE = {
  ociVersion: "1.0.1",
  id: "c1",
  pid: 4242,
  status: "running",
  bundle: "/b",
  rootfs: "",
  created: "t",
};

describe("Runhcs client (fake runhcs process)", () => {
  let dir: string;
  let rec: string;
  let baseEnv: NodeJS.ProcessEnv;
  const fds: number[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "runhcs-client-"));
    rec = join(dir, "argv.jsonl");
    baseEnv = { ...process.env, FAKE_RUNHCS_RECORD: rec };
    delete baseEnv["RUNHCS_BINARY"];
  });
  afterEach(async () => {
    for (const fd of fds.splice(0)) closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  function client(env: Record<string, string> = {}, opts: RunhcsOptions = {}): Runhcs {
    return new Runhcs({ binary: fakeRunhcsBinary(), env: { ...baseEnv, ...env }, ...opts });
  }
  async function failure(p: Promise<unknown>): Promise<RuntimeError> {
    try {
      await p;
    } catch (e: unknown) {
      assert.ok(e instanceof RuntimeError, `expected RuntimeError, got ${String(e)}`);
      return e;
    }
    assert.fail("call did not fail");
  }

  it("passes the exact argv of every subcommand, global flags first", async () => {
    const log = join(dir, "runhcs.log");
    const opts = everyGlobal(log);
    const g = everyGlobalArgv(log);
    const r = client({}, opts);
    await r.create({
      id: "c1",
      bundle: "bundle",
      pidFile: "bundle/runhcs-pidfile.pid",
      shimLog: PIPE,
      vmLog: "vm.log",
    });
    await r.start("c1");
    await r.exec({ id: "c1", processFile: "/b/exec-c1-e1config.json", detach: true, pidFile: "/b/e.pid" });
    await r.kill("c1", 15);
    await r.delete("c1", { force: true });
    await r.pause("c1");
    await r.resume("c1");
    await r.resizeTty({ id: "c1", pid: 4242, width: 120, height: 40 });
    assert.deepEqual(await client({ FAKE_RUNHCS_STDOUT: JSON.stringify(STATE) }, opts).state("c1"), {
      ...STATE,
      annotations: {},
      owner: "",
    });
    assert.deepEqual(await client({ FAKE_RUNHCS_STDOUT: "null" }, opts).ps("c1"), []);
    assert.deepEqual(await client({ FAKE_RUNHCS_STDOUT: "[]" }, opts).list(), []);
    const bundleAbs = resolve("bundle");
    assert.deepEqual(
      readRecords(rec).map((x) => x.argv),
      [
        [...g, "create", "--bundle", "bundle", "--pid-file", join(bundleAbs, "runhcs-pidfile.pid")].concat([
          "--shim-log",
          PIPE,
          "--vm-log",
          resolve("vm.log"),
          "c1",
        ]),
        [...g, "start", "c1"],
        [...g, "exec", "--process", "/b/exec-c1-e1config.json", "--detach", "--pid-file", "/b/e.pid", "c1"],
        [...g, "kill", "c1", "15"],
        [...g, "delete", "--force", "c1"],
        [...g, "pause", "c1"],
        [...g, "resume", "c1"],
        [...g, "resize-tty", "--pid", "4242", "c1", "120", "40"],
        [...g, "state", "c1"],
        [...g, "ps", "--format=json", "c1"],
        [...g, "list", "--format=json"],
      ],
    );
  });

  it("create then readPidFile returns the pid runhcs wrote", async () => {
    const pidFile = join(dir, "runhcs-pidfile.pid");
    await client({ FAKE_RUNHCS_PID: "4242" }).create({ id: "c1", bundle: dir, pidFile });
    assert.equal(await readPidFile(pidFile), 4242);
  });

  it("takes runhcs's message from the JSON --log written during the call, not stderr", async () => {
    const log = join(dir, "runhcs.log");
    const r = client(
      {
        FAKE_RUNHCS_EXIT: "1",
        FAKE_RUNHCS_LOG_ERROR: "container is stopped",
        FAKE_RUNHCS_STDERR: "stderr text\n",
      },
      { log, logFormat: "json" },
    );
    const e = await failure(r.kill("c1", 9));
    assert.equal(e.runtimeMessage, "container is stopped");
    assert.equal(e.exitCode, 1);
    assert.equal(e.command, "kill");
    assert.equal(e.argv[0], fakeRunhcsBinary());
    assert.ok(isContainerStopped(e));
  });

  it("ignores error lines logged before the call and falls back to stderr", async () => {
    const log = join(dir, "runhcs.log");
    await appendFile(log, '{"level":"error","msg":"an older failure"}\n');
    const r = client(
      { FAKE_RUNHCS_EXIT: "3", FAKE_RUNHCS_STDERR: "  state 'state' is not present for ID 'c1'\n" },
      {
        log,
        logFormat: "json",
      },
    );
    const e = await failure(r.state("c1"));
    assert.equal(e.runtimeMessage, "state 'state' is not present for ID 'c1'");
    assert.equal(e.exitCode, 3);
  });

  it("uses stderr with the text log format, and bounds it to its tail", async () => {
    const log = join(dir, "runhcs.log");
    await appendFile(log, '{"level":"error","msg":"not ours"}\n');
    const long = `${"x".repeat(10_000)}the end`;
    const e = await failure(client({ FAKE_RUNHCS_EXIT: "1", FAKE_RUNHCS_STDERR: long }, { log }).start("c1"));
    assert.ok(e.runtimeMessage.endsWith("the end"));
    assert.ok(e.runtimeMessage.length < 5000);
  });

  it("hands caller stdio to runhcs and still reads the error from the JSON log", async () => {
    const out = join(dir, "container-stdout");
    const fd = openSync(out, "w");
    fds.push(fd);
    await client({ FAKE_RUNHCS_STDOUT: "hello from runhcs" }).create(
      { id: "c1", bundle: dir },
      { stdio: ["ignore", fd, fd] },
    );
    assert.equal(readFileSync(out, "utf8"), "hello from runhcs");

    const log = join(dir, "runhcs.log");
    const env = {
      FAKE_RUNHCS_EXIT: "1",
      FAKE_RUNHCS_STDERR: "goes to the container",
      FAKE_RUNHCS_LOG_ERROR: "boom",
    };
    const e = await failure(
      client(env, { log, logFormat: "json" }).exec(
        { id: "c1", processFile: "p" },
        { stdio: ["ignore", fd, fd] },
      ),
    );
    assert.equal(e.runtimeMessage, "boom");
    const e2 = await failure(client(env).exec({ id: "c1", processFile: "p" }, { stdio: ["ignore", fd, fd] }));
    assert.equal(e2.runtimeMessage, "");
    assert.match(e2.message, /did not terminate successfully \(exit status 1\)/);
  });

  it('gives the caller the parent ends of "pipe" stdio', async () => {
    let text = "";
    let ended: Promise<void> | undefined;
    await client({ FAKE_RUNHCS_STDOUT: "piped" }).create(
      { id: "c1", bundle: dir },
      {
        stdio: ["pipe", "pipe", "ignore"],
        onSpawn: (io) => {
          assert.ok(io.stdin && io.stdout);
          assert.equal(io.stderr, null);
          io.stdin.end();
          io.stdout.setEncoding("utf8").on("data", (c: string) => {
            text += c;
          });
          ended = new Promise((r) => io.stdout?.on("close", () => r()));
        },
      },
    );
    await ended;
    assert.equal(text, "piped");
  });

  it("finds the binary through RUNHCS_BINARY, and on PATH by its platform name", async () => {
    await new Runhcs({ env: { ...baseEnv, RUNHCS_BINARY: fakeRunhcsBinary() } }).start("viaenv");
    const bin = join(dir, "bin");
    await mkdir(bin);
    await symlink(fakeRunhcsBinary(), join(bin, "runhcs"));
    const r = new Runhcs({ env: { ...baseEnv, PATH: `${bin}${delimiter}${process.env["PATH"] ?? ""}` } });
    assert.equal(r.binary, join(bin, "runhcs"), "found on PATH, as an absolute path (go-runhcs's LookPath)");
    await r.start("viapath");
    assert.deepEqual(
      readRecords(rec).map((x) => x.argv),
      [
        ["start", "viaenv"],
        ["start", "viapath"],
      ],
    );
  });

  it("a missing binary is a RuntimeError without exit code", async () => {
    const r = new Runhcs({ binary: join(dir, "no-such-runhcs"), env: baseEnv });
    const e = await failure(r.start("c1"));
    assert.equal(e.exitCode, null);
    assert.match(e.message, /ENOENT/);
  });

  it("unparsable state output is a RuntimeError with exit status 0", async () => {
    const runner = new RecordingRunner().respond({ stdout: "warning: slow\n{}" });
    const e = await failure(new Runhcs({ binary: "runhcs", runner }).state("c1"));
    assert.equal(e.exitCode, 0);
    assert.match(e.message, /^runhcs state: invalid JSON output/);
    assert.deepEqual(runner.argvs, [["state", "c1"]]);
  });

  it("hands deadline, signal and label to the runner: client default, per-call override", async () => {
    const runner = new RecordingRunner();
    const ac = new AbortController();
    await new Runhcs({ binary: "runhcs", runner }).start("c1");
    await new Runhcs({ binary: "runhcs", runner, timeoutMs: 5000 }).pause("c1");
    await new Runhcs({ binary: "runhcs", runner, timeoutMs: 5000 }).resume("c1", {
      timeoutMs: 7,
      signal: ac.signal,
    });
    assert.deepEqual(
      runner.calls.map((c) => [c.file, c.label, c.timeoutMs, c.signal === ac.signal]),
      [
        ["runhcs", "runhcs start", 60_000, false],
        ["runhcs", "runhcs pause", 5000, false],
        ["runhcs", "runhcs resume", 7, true],
      ],
    );
  });

  it("does not read a named-pipe --log back: the message comes from stderr", async () => {
    const runner = new RecordingRunner().respond({ exitCode: 1, stderr: "invalid signal 'X'\n" });
    const r = new Runhcs({ binary: "runhcs", runner, log: PIPE, logFormat: "json" });
    const e = await failure(r.kill("c1", "X"));
    assert.equal(e.runtimeMessage, "invalid signal 'X'");
    assert.deepEqual(runner.argvs, [["--log", PIPE, "--log-format", "json", "kill", "c1", "X"]]);
  });
});
