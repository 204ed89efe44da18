import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { DeleteResponseSchema, Task } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient } from "../../../src/ttrpc/index.js";
import { VERSION } from "../../../src/version.js";
import { BUILD_TIMEOUT_MS, buildOnce, LINUX_EXE } from "./build-once.js";

/** The environment variable that points the executable's native-addon cache elsewhere. */
const CACHE_ENV = "CONTAINERD_SHIM_RUNHCS_CACHE_DIR";

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(exe: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: Uint8Array }) {
  return new Promise<Run>((resolve) => {
    const child = execFile(
      exe,
      args,
      { cwd: opts.cwd, env: opts.env, encoding: "buffer", timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, stdout, stderr: stderr.toString("utf8") });
      },
    );
    child.stdin?.end(opts.input ?? new Uint8Array());
  });
}

function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe("build:exe Linux executable", function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let dir: string;
  let exe: string;
  let bundle: string;
  let events: Server;
  const held = new Set<Socket>();
  const pids: number[] = [];

  before(async () => {
    await buildOnce();
    // A copy outside the checkout: nothing may come from the repo's node_modules at run time.
    dir = mkdtempSync(join(tmpdir(), "build-exe-linux-"));
    exe = join(dir, "containerd-shim-runhcs-v1");
    try {
      linkSync(LINUX_EXE, exe);
    } catch {
      copyFileSync(LINUX_EXE, exe);
    }
    // containerd's event socket (TTRPC_ADDRESS): accepts, never answers; nothing here publishes.
    events = createServer((s) => {
      held.add(s);
      s.on("close", () => held.delete(s)).on("error", () => undefined);
    });
    await new Promise<void>((r) => events.listen(join(dir, "ttrpc.sock"), r));
  });

  beforeEach(() => {
    bundle = mkdtempSync(join(dir, "bundle-"));
  });

  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
      await waitGone(pid);
    }
  });

  after(async () => {
    for (const s of held) s.destroy();
    if (events) await new Promise((r) => events.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (cache: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    TTRPC_ADDRESS: join(dir, "ttrpc.sock"),
    [CACHE_ENV]: cache,
  });
  const flags = (id: string) => [
    "-namespace",
    "unit",
    "-address",
    join(dir, "containerd.sock"),
    "-publish-binary",
    "/bin/false",
    "-id",
    id,
  ];
  // Bootstrap params on stdin (containerd 2.3+) put the socket in the temp dir, not /run/containerd/s.
  const input = () =>
    toBinary(BootstrapParamsSchema, create(BootstrapParamsSchema, { namespace: "unit", socketDir: dir }));

  it("-v prints the version", async () => {
    const r = await run(exe, ["-v"], { cwd: dir, env: { PATH: process.env.PATH } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), `containerd-shim-runhcs-v1:\n  Version:  ${VERSION}\n`);
    assert.equal(r.stderr, "");
  });

  it("start serves the Task API (Connect: shim pid, version); delete stops it and cleans up", async () => {
    const cache = join(dir, "cache-ok");
    const started = await run(exe, [...flags("t1"), "start"], {
      cwd: bundle,
      env: env(cache),
      input: input(),
    });
    assert.equal(started.code, 0, started.stderr);
    const address = started.stdout.toString();
    assert.match(address, new RegExp(`^unix://${dir}/[0-9a-f]{64}$`));
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    pids.push(pid);
    assert.equal(readFileSync(join(bundle, "address"), "utf8"), address);
    // The server is this executable again (not node + a script).
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0], exe);

    const client = await Client.connect(address, { timeoutMs: 10_000 });
    try {
      const reply = await createClient(client, Task).connect({ id: "t1" }, { timeoutMs: 10_000 });
      assert.equal(reply.shimPid, pid);
      assert.equal(reply.version, VERSION);
    } finally {
      client.close();
    }
    // koffi's addon came out of the executable into the private cache, under a content-hashed name.
    const addons = readdirSync(cache);
    assert.equal(addons.length, 1);
    assert.match(addons[0] as string, /^koffi-linux-x64-[0-9a-f]{32}\.node$/);
    assert.equal(statSync(cache).mode & 0o077, 0);

    const deleted = await run(exe, [...flags("t1"), "-bundle", bundle, "delete"], {
      cwd: bundle,
      env: env(cache),
    });
    assert.equal(deleted.code, 0, deleted.stderr);
    const resp = fromBinary(DeleteResponseSchema, deleted.stdout);
    assert.ok(resp.exitedAt, "DeleteResponse without exited_at");
    assert.ok(await waitGone(pid), "server still running after delete");
    assert.deepEqual(readdirSync(bundle), []);
    assert.equal(existsSync(address.slice("unix://".length)), false, "socket left behind");
  });

  it("a cache directory others can write to is refused with a clear reason, nothing left running", async () => {
    const cache = join(dir, "cache-open");
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    const started = await run(exe, [...flags("t2"), "start"], {
      cwd: bundle,
      env: env(cache),
      input: input(),
    });
    assert.notEqual(started.code, 0);
    assert.match(started.stderr, /not a private directory/);
    assert.match(started.stderr, new RegExp(CACHE_ENV));
    assert.deepEqual(readdirSync(cache), []);
    assert.deepEqual(readdirSync(bundle), []);
  });
});
