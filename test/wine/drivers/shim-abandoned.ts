import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { DeleteResponseSchema, Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient } from "../../../src/ttrpc/index.js";
import { removeTemp, runDriver, within } from "./report.js";
import { gone, runShim } from "./shim-run.js";

const INIT =
  "const pp = process.ppid; setInterval(() => { try { process.kill(pp, 0); } catch { process.exit(7); } }, 200);";

runDriver(async () => {
  const id = `a${randomBytes(4).toString("hex")}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-shim-"));
  const bundle = path.join(tmp, "bundle");
  const layers = [path.join(tmp, "layer1"), path.join(tmp, "layer2")];
  for (const d of [bundle, ...layers]) fs.mkdirSync(d, { recursive: true });
  const spec = { args: [process.execPath, "-e", INIT], cwd: bundle };
  fs.writeFileSync(
    path.join(bundle, "config.json"),
    JSON.stringify({ ociVersion: "1.0.2", process: spec, windows: { layerFolders: layers } }),
  );
  // No TTRPC_ADDRESS and a publish binary that is not containerd: events are dropped (logged).
  const common = ["-id", id, "-address", `\\\\.\\pipe\\containerd-wine-${id}`, "-publish-binary", "nul"];
  const report: Record<string, unknown> = { id };
  const pids: number[] = [];
  try {
    const started = await within(runShim([...common, "start"], bundle), 60_000, "shim start");
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    const client = await Client.connect(started.stdout.toString().trim(), { timeoutMs: 10_000 });
    const api = createClient(client, TaskV2);
    const shimPid = (await api.connect({ id })).shimPid;
    const created = await api.create({ id, bundle, stdin: "", stdout: "", stderr: "" });
    await api.start({ id });
    pids.push(shimPid, created.pid, ...(await api.pids({ id })).processes.map((p) => p.pid));
    client.close(); // containerd lost the shim: no Shutdown

    const del = await within(runShim([...common, "-bundle", bundle, "delete"], tmp), 60_000, "delete");
    report.deleteAction = {
      code: del.code,
      stderr: del.stderr,
      exitStatus: del.code === 0 ? fromBinary(DeleteResponseSchema, del.stdout).exitStatus : undefined,
    };
    const left: number[] = [];
    for (const p of pids) if (!(await gone(p, 15_000))) left.push(p);
    report.processesChecked = pids.length;
    report.processesLeft = left;
    report.bundleFiles = fs.readdirSync(bundle).sort();
    return report;
  } finally {
    for (const p of pids) {
      try {
        process.kill(p);
      } catch {}
    }
    report.tempLeft = removeTemp(tmp);
  }
});
