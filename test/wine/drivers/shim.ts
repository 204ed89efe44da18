import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { ForwardRequestSchema } from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import { DeleteResponseSchema, Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient, Server } from "../../../src/ttrpc/index.js";
import { type Collector, collectOn, dialAndCollect } from "./pipe-server.js";
import { removeTemp, runDriver, within } from "./report.js";
import { regKeyExists, regValue } from "./runhcs-sim-lib.js";
import { gone, NS, runShim, SHIM_COMMAND } from "./shim-run.js";

const PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";
const pipe = (name: string) => `\\\\.\\pipe\\${name}`;

/** A container process that stops when its helper is gone (Windows does not kill orphans). */
const followParent =
  "const pp = process.ppid; setInterval(() => { try { process.kill(pp, 0); } catch { process.exit(7); } }, 200);";
const INIT = `process.stdout.write("init up\\n"); ${followParent}`;
const EXEC_1234 = `process.stdout.write("exec says hi\\n"); process.exitCode = 1234;`;
const EXEC_LONG = `process.stdout.write("long running\\n"); ${followParent}`;

/** Runs the shim binary once; resolves with its exit code and output. */
function processSpec(script: string, cwd: string) {
  return { args: [process.execPath, "-e", script], cwd, env: [`SystemRoot=${process.env.SystemRoot ?? ""}`] };
}

runDriver(async () => {
  const id = `c${randomBytes(4).toString("hex")}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-shim-"));
  const bundle = path.join(tmp, "bundle");
  const layers = [path.join(tmp, "layer1"), path.join(tmp, "layer2")];
  for (const d of [bundle, ...layers]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(bundle, "config.json"),
    JSON.stringify({
      ociVersion: "1.0.2",
      process: processSpec(INIT, bundle),
      windows: { layerFolders: layers },
    }),
  );
  const tag = randomBytes(4).toString("hex");
  const collectors: Collector[] = [];
  const closers: (() => unknown)[] = [];
  const events: string[] = [];
  const eventsServer = new Server();
  eventsServer.register("containerd.services.events.ttrpc.v1.Events", {
    Forward: (req) => {
      events.push(fromBinary(ForwardRequestSchema, req).envelope?.topic ?? "?");
      return new Uint8Array();
    },
  });
  const eventsAddress = pipe(`containerd-wine-${tag}-ttrpc`);
  await eventsServer.listen(eventsAddress);
  closers.push(() => eventsServer.close());
  const env = { ...process.env, TTRPC_ADDRESS: eventsAddress };
  const common = ["-id", id, "-address", pipe(`containerd-wine-${tag}`), "-publish-binary", process.execPath];
  const report: Record<string, unknown> = { id, shimCommand: SHIM_COMMAND };
  try {
    const t0 = Date.now();
    const started = await within(runShim([...common, "start"], bundle, env), 60_000, "shim start");
    report.startMs = Date.now() - t0;
    report.start = { code: started.code, stdout: started.stdout.toString(), stderr: started.stderr };
    if (started.code !== 0) return report;
    const address = started.stdout.toString().trim();
    report.bundleFilesAfterStart = fs.readdirSync(bundle).sort();
    // containerd retrying start: the server that answers on the pipe is reused, nothing new is spawned.
    const shimPidFile = fs.readFileSync(path.join(bundle, "shim.pid"), "utf8");
    const again = await within(runShim([...common, "start"], bundle, env), 60_000, "second start");
    report.secondStart = {
      code: again.code,
      sameAddress: again.stdout.toString().trim() === address,
      samePid: fs.readFileSync(path.join(bundle, "shim.pid"), "utf8") === shimPidFile,
    };

    const log = await dialAndCollect(pipe(`containerd-shim-${NS}-${id}-log`), 10_000);
    collectors.push(log);
    const client = await Client.connect(address, { timeoutMs: 10_000 });
    closers.push(() => client.close());
    const api = createClient(client, TaskV2);

    const conn = await api.connect({ id });
    report.connect = { shimPid: conn.shimPid, taskPid: conn.taskPid, version: conn.version };

    const stdio = async (name: string) => {
      const c = await collectOn(pipe(`ctr-${tag}-${name}`));
      collectors.push(c);
      return c;
    };
    const initOut = await stdio("init-stdout");
    const created = await api.create({ id, bundle, stdout: initOut.path, stdin: "", stderr: "" });
    report.createPid = created.pid;
    report.startPid = (await api.start({ id })).pid;
    report.stateAfterStart = (await api.state({ id })).status;
    const pids = new Set<number>([conn.shimPid, created.pid]);
    report.shimPidMatchesFile = String(conn.shimPid) === shimPidFile;
    for (const p of (await api.pids({ id })).processes) pids.add(p.pid);

    const execRun = async (execId: string, script: string) => {
      const out = await stdio(`${execId}-stdout`);
      const spec = create(AnySchema, {
        typeUrl: PROCESS_TYPE,
        value: new TextEncoder().encode(JSON.stringify(processSpec(script, bundle))),
      });
      await api.exec({ id, execId, stdout: out.path, stdin: "", stderr: "", spec });
      const pid = (await api.start({ id, execId })).pid;
      return { out, pid };
    };
    const e1 = await execRun("e1", EXEC_1234);
    pids.add(e1.pid);
    const w1 = await within(api.wait({ id, execId: "e1" }), 30_000, "wait e1");
    report.exec1234 = { pid: e1.pid, exitStatus: w1.exitStatus, stdout: e1.out.text() };

    const e2 = await execRun("e2", EXEC_LONG);
    pids.add(e2.pid);
    // The exec's container process (runhcs records it as pid-<helper pid>, root "default").
    const x2 = regValue(id, `pid-${e2.pid}`, "default") as number;
    pids.add(x2);
    // Exec Kill goes through HCS: only the lane's fake vmcompute.dll knows the simulator's containers
    // (on real Windows without it, the init's kill below ends the exec with the container).
    if (process.env.WINE_LANE_FAKE_HCS === "1") {
      await api.kill({ id, execId: "e2", signal: 9 });
      const w2 = await within(api.wait({ id, execId: "e2" }), 30_000, "wait e2");
      report.execKilled = {
        exitStatus: w2.exitStatus,
        stdout: e2.out.text(),
        recorded: x2 > 0,
        processGone: await gone(x2, 5000),
      };
    }

    await api.kill({ id, signal: 15 });
    const wInit = await within(api.wait({ id }), 30_000, "wait init");
    report.initKilled = { exitStatus: wInit.exitStatus, stdout: initOut.text() };

    const d1 = await api.delete({ id, execId: "e1" });
    const d2 = await api.delete({ id, execId: "e2" });
    const dInit = await api.delete({ id });
    report.deletes = [d1.exitStatus, d2.exitStatus, dInit.exitStatus];
    report.bundleFilesAfterDelete = fs.readdirSync(bundle).sort();

    // containerd dials the log pipe again (after a restart): the newest connection gets the output.
    const log2 = await dialAndCollect(pipe(`containerd-shim-${NS}-${id}-log`), 10_000);
    collectors.push(log2);
    await api.shutdown({ id }).catch((err: unknown) => {
      report.shutdownError = String(err); // the connection may close before the answer
    });
    report.shimExited = await gone(conn.shimPid, 15_000);
    report.eventTopics = events;
    const lines = (c: Collector) => c.text().split("\n").filter(Boolean);
    report.logLines = { first: lines(log).length, newest: lines(log2).map((l) => JSON.parse(l).msg) };

    const del = await within(runShim([...common, "-bundle", bundle, "delete"], tmp, env), 60_000, "delete");
    report.deleteAction = {
      code: del.code,
      stderr: del.stderr,
      exitStatus: del.code === 0 ? fromBinary(DeleteResponseSchema, del.stdout).exitStatus : undefined,
    };
    report.bundleFilesAfterDeleteAction = fs.readdirSync(bundle).sort();
    // Every process of the run (shim server, runhcs helpers, container processes) has ended.
    const left: number[] = [];
    for (const p of pids) if (!(await gone(p, 10_000))) left.push(p);
    report.processesLeft = left;
    report.registryKeyLeft = regKeyExists(id, "default");
    report.processesChecked = pids.size;
    return report;
  } catch (err: unknown) {
    report.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return report;
  } finally {
    for (const c of collectors) c.close();
    for (const c of closers) await c();
    // A run that failed half way: end what it started, as containerd would (the binary's `delete`).
    if (report.error !== undefined)
      await runShim([...common, "-bundle", bundle, "delete"], tmp).catch(() => {});
    report.tempLeft = removeTemp(tmp);
  }
});
