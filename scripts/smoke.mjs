#!/usr/bin/env node
// Smoke test of a built shim, the same on Linux and Windows: `start` it in a temp bundle as containerd does,
// call Connect and State over the address it printed (unix socket or named pipe) with our ttrpc client,
// Shutdown, then `delete`. Prints one line per step; exits non-zero on the first failure.
//
//   node scripts/smoke.mjs [path/to/containerd-shim-runhcs-v1[.exe]]
//
// Without an argument it runs bin/containerd-shim-runhcs-v1 with this node. Needs a build (DIST or dist/).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(REPO, "dist"));
const { Client, Code, createClient } = await import(`file://${DIST}/src/ttrpc/index.js`);
const { Task } = await import(`file://${DIST}/src/gen/containerd/task/v2/shim_pb.js`);
const { DeleteResponseSchema } = await import(`file://${DIST}/src/gen/containerd/task/v2/shim_pb.js`);
const { fromBinary } = await import("@bufbuild/protobuf");

const shim = process.argv[2]
  ? [resolve(process.argv[2])]
  : [process.execPath, join(REPO, "bin", "containerd-shim-runhcs-v1")];
const windows = process.platform === "win32";
const id = `smoke${process.pid}`;
const ns = "smoke";
const dir = mkdtempSync(join(tmpdir(), "shim-smoke-"));
const bundle = join(dir, id);
mkdirSync(bundle);
writeFileSync(
  join(bundle, "config.json"),
  JSON.stringify({ ociVersion: "1.0.2", process: { args: ["cmd"] } }),
);
const address = windows ? "\\\\.\\pipe\\containerd-containerd" : join(dir, "containerd.sock");
const flags = ["-namespace", ns, "-address", address, "-id", id];

function run(args) {
  return new Promise((res, rej) => {
    const child = execFile(
      shim[0],
      [...shim.slice(1), ...flags, ...args],
      { cwd: bundle, encoding: "buffer", timeout: 30_000 },
      (err, stdout, stderr) =>
        err
          ? rej(new Error(`${args.join(" ")}: exit ${err.code} ${err.signal ?? ""}: ${stderr}`))
          : res(stdout),
    );
    child.stdin.end(); // like containerd: stdin carries the (here: no) runtime options, then closes
  });
}

function step(what) {
  console.log(`smoke: ${what}`);
}

let ok = false;
try {
  const printed = (await run(["start"])).toString().trim();
  step(`start printed ${printed}`);
  if (!(windows ? printed.startsWith("\\\\.\\pipe\\") : printed.startsWith("unix://"))) {
    throw new Error(`unexpected address ${JSON.stringify(printed)}`);
  }
  const client = await Client.connect(printed.replace(/^unix:\/\//, ""), { timeoutMs: 10_000 });
  const api = createClient(client, Task);
  const connect = await api.connect({ id }, { timeoutMs: 10_000 });
  step(`Connect: shim pid ${connect.shimPid}, version ${connect.version}`);
  if (!connect.shimPid) throw new Error("Connect returned no shim pid");
  try {
    await api.state({ id }, { timeoutMs: 10_000 });
    throw new Error("State of a task never created succeeded");
  } catch (err) {
    if (err?.code !== Code.NotFound) throw err;
    step(`State before Create: NotFound (${err.message})`);
  }
  await api.shutdown({ id, now: true }, { timeoutMs: 10_000 }).catch((err) => {
    if (err?.code !== Code.Unavailable) throw err; // the shim may close the connection as it exits
  });
  await client.closed;
  step("Shutdown: connection closed by the shim");
  const del = fromBinary(DeleteResponseSchema, await run(["-bundle", bundle, "delete"]));
  step(`delete: exit status ${del.exitStatus}`);
  ok = true;
} catch (err) {
  console.error(`smoke: FAILED: ${err?.stack ?? err}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
