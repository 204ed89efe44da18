import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { readCreated } from "../../../src/bundle/created-files.js";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  ShutdownRequestSchema,
} from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { defaultFlags, type ShimFlags } from "../../../src/shim/flags.js";
import { accepts } from "../../../src/shim/probe.js";
import { start } from "../../../src/shim/start.js";
import { Client } from "../../../src/ttrpc/index.js";
import { isAlive, runShim, shimEntry, tempDir, waitGone } from "./helpers.js";

const TASK = "containerd.task.v2.Task";

describe("shim start", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;
  let socketDir: string;
  let entry: string;
  const pids: number[] = [];

  beforeEach(() => {
    dir = tempDir("start");
    bundle = join(dir, "bundle");
    socketDir = join(dir, "s");
    entry = shimEntry(join(dir, "rt"));
    mkdirSync(bundle, { recursive: true });
  });

  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
      await waitGone(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const flags = (id: string): ShimFlags => ({
    ...defaultFlags(),
    namespace: "unit",
    id,
    address: join(dir, "containerd.sock"),
    publishBinary: "/bin/false",
  });
  // 2.3+ bootstrap params on stdin put the socket in our temp dir instead of /run/containerd/s.
  const input = () =>
    toBinary(BootstrapParamsSchema, create(BootstrapParamsSchema, { namespace: "unit", socketDir }));

  async function connect(address: string): Promise<{ shimPid: number; client: Client }> {
    const client = await Client.connect(address, { timeoutMs: 5_000 });
    const reply = await client.call(
      TASK,
      "Connect",
      toBinary(ConnectRequestSchema, create(ConnectRequestSchema, {})),
    );
    return { shimPid: fromBinary(ConnectResponseSchema, reply).shimPid, client };
  }

  it("start → serving address printed, shim.pid and address written, server in its own session", async () => {
    const address = await start(flags("t1"), {
      bundle,
      input: input(),
      serverCommand: [process.execPath, entry],
    });
    assert.match(address, new RegExp(`^unix://${socketDir}/[0-9a-f]{64}$`));
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    pids.push(pid);
    assert.equal(readFileSync(join(bundle, "address"), "utf8"), address);
    assert.ok(isAlive(pid));
    // setsid: the server leads its own session
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /, "")
      .split(" ");
    assert.equal(Number(stat[3]), pid, "session id = server pid");
    const { shimPid, client } = await connect(address);
    client.close();
    assert.equal(shimPid, pid);
    // no temp files of the atomic writes remain
    assert.deepEqual(readdirSync(bundle).sort(), ["address", "shim-created", "shim.pid"]);
    assert.deepEqual(await readCreated(bundle), new Set(["shim-created", "shim.pid", "address"]));
  });

  it("the binary's start → the server's working directory is the executable's, not the bundle", async () => {
    const r = await runShim(
      entry,
      ["-namespace", "unit", "-id", "t9", "-address", join(dir, "c.sock"), "-bundle", bundle, "start"],
      { cwd: bundle, input: input() },
    );
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    pids.push(pid);
    // Windows cannot remove a directory that a live process has as its cwd, and containerd removes the
    // bundle right after Shutdown.
    assert.equal(realpathSync(`/proc/${pid}/cwd`), realpathSync(join(dir, "rt", "bin")));
  });

  it("start twice → the second prints the same address and starts nothing", async () => {
    const first = await start(flags("t2"), {
      bundle,
      input: input(),
      serverCommand: [process.execPath, entry],
    });
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    pids.push(pid);
    const second = await start(flags("t2"), { bundle, input: input(), serverCommand: ["/nonexistent"] });
    assert.equal(second, first);
    assert.equal(Number(readFileSync(join(bundle, "shim.pid"), "utf8")), pid);
  });

  it("Shutdown → server exits, socket gone", async () => {
    const address = await start(flags("t3"), {
      bundle,
      input: input(),
      serverCommand: [process.execPath, entry],
    });
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    pids.push(pid);
    const { client } = await connect(address);
    await client.call(
      TASK,
      "Shutdown",
      toBinary(ShutdownRequestSchema, create(ShutdownRequestSchema, { id: "t3" })),
    );
    client.close();
    assert.ok(await waitGone(pid), "server still running after Shutdown");
    assert.equal(existsSync(address.slice("unix://".length)), false);
  });

  it("SIGTERM → server exits 0, socket gone; its log reached the bundle's log FIFO", async () => {
    execFileSync("mkfifo", [join(bundle, "log")]);
    // containerd's end of the log FIFO: opened read-write, non-blocking, before start
    const logFd = openSync(join(bundle, "log"), constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const address = await start(flags("t7"), {
        bundle,
        input: input(),
        serverCommand: [process.execPath, entry],
      });
      const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
      pids.push(pid);
      const path = address.slice("unix://".length);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      process.kill(pid, "SIGTERM");
      assert.ok(await waitGone(pid), "server still running after SIGTERM");
      assert.equal(existsSync(path), false);
      const buf = Buffer.alloc(65536);
      const log = buf.subarray(0, readSync(logFd, buf, 0, buf.length, null)).toString("utf8");
      const messages = log
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.deepEqual(messages, ["shim serving", "shim stopping", "shim exited"]);
    } finally {
      closeSync(logFd);
    }
  });

  it("start where the socket directory cannot be made → the reason, nothing left", async () => {
    writeFileSync(socketDir, "a file where the socket directory should be");
    await assert.rejects(
      start(flags("t8"), { bundle, input: input(), serverCommand: [process.execPath, entry] }),
      /EEXIST|ENOTDIR/,
    );
    assert.deepEqual(readdirSync(bundle), []);
  });

  it("start with a server that exits at once → error, no files, nothing listening", async () => {
    await assert.rejects(
      start(flags("t4"), {
        bundle,
        input: input(),
        serverCommand: [process.execPath, "-e", "process.exit(3)", "--"],
      }),
      /shim server failed to start: it exited \(status 3\)/,
    );
    assert.deepEqual(readdirSync(bundle), []);
    assert.equal(existsSync(socketDir) ? readdirSync(socketDir).length : 0, 0);
  });

  it("start with a server that reports a failure → its reason, nothing left", async () => {
    const script = `require("fs").writeSync(3, "cannot do it\\n"); process.exit(1)`;
    await assert.rejects(
      start(flags("t5"), { bundle, input: input(), serverCommand: [process.execPath, "-e", script, "--"] }),
      /shim server failed to start: cannot do it/,
    );
    assert.deepEqual(readdirSync(bundle), []);
  });

  it("start with a server that listens but never reports ready → killed, socket removed", async () => {
    // listens on the -socket path, never writes to fd 3
    const script = [
      'const a = process.argv[process.argv.indexOf("-socket") + 1].slice(7);',
      'require("fs").mkdirSync(require("path").dirname(a), { recursive: true });',
      'require("net").createServer().listen(a, () => require("fs").writeFileSync(process.env.PIDFILE, String(process.pid)));',
    ].join("\n");
    const pidFile = join(dir, "server.pid");
    process.env.PIDFILE = pidFile;
    try {
      await assert.rejects(
        start(flags("t6"), {
          bundle,
          input: input(),
          serverCommand: [process.execPath, "-e", script, "--"],
          readyTimeoutMs: 3_000,
        }),
        /did not report ready within 3000 ms/,
      );
    } finally {
      delete process.env.PIDFILE;
    }
    const pid = Number(readFileSync(pidFile, "utf8"));
    assert.ok(await waitGone(pid), "server still running");
    assert.deepEqual(readdirSync(bundle), []);
    const sockets = readdirSync(socketDir);
    assert.deepEqual(sockets, []);
    assert.equal(await accepts(join(socketDir, "x")), false);
  });
});
