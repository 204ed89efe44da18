/**
 * Create faults through the shim binary against runhcs.exe: a `runhcs create` that hangs (the shim's
 * create_timeout_in_sec ends it) and one that dies after it created the registry state and the compute
 * system. Either way the shim must leave nothing behind: it runs `runhcs delete --force`.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { OptionsSchema } from "../../../src/gen/containerd/runhcs/v1/runhcs_pb.js";
import { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient, StatusError } from "../../../src/ttrpc/index.js";
import { CREATE_FAULT_ENV } from "../runhcs/commands.js";
import { removeTemp, runDriver, within } from "./report.js";
import { hcs, regKeyExists } from "./runhcs-sim-lib.js";
import { gone, runShim } from "./shim-run.js";

const pipe = (name: string) => `\\\\.\\pipe\\${name}`;

async function createWith(fault: "hang" | "crash"): Promise<Record<string, unknown>> {
  const id = `f${randomBytes(4).toString("hex")}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-create-fault-"));
  const bundle = path.join(tmp, "bundle");
  const layers = [path.join(tmp, "l1"), path.join(tmp, "l2")];
  for (const d of [bundle, ...layers]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(bundle, "config.json"),
    JSON.stringify({
      ociVersion: "1.0.2",
      process: { args: [process.execPath, "-e", "setInterval(() => {}, 1000)"], cwd: bundle },
      windows: { layerFolders: layers },
    }),
  );
  const env = { ...process.env, [CREATE_FAULT_ENV]: fault };
  const common = ["-id", id, "-address", pipe(`containerd-wine-${id}`), "-publish-binary", process.execPath];
  const out: Record<string, unknown> = { id };
  let client: Client | undefined;
  try {
    const started = await within(runShim([...common, "start"], bundle, env), 60_000, "shim start");
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    client = await Client.connect(started.stdout.toString().trim(), { timeoutMs: 10_000 });
    const api = createClient(client, TaskV2);
    const shimPid = (await api.connect({ id })).shimPid;
    const options = create(AnySchema, {
      typeUrl: OptionsSchema.typeName,
      // The hang needs the deadline; the crash must come before it, however slow Wine is on a loaded machine.
      value: toBinary(
        OptionsSchema,
        create(OptionsSchema, { createTimeoutInSec: fault === "hang" ? 5 : 60 }),
      ),
    });
    const t0 = Date.now();
    try {
      await within(api.create({ id, bundle, stdout: "", stdin: "", stderr: "", options }), 90_000, "create");
      out.created = true;
    } catch (err: unknown) {
      out.code = err instanceof StatusError ? err.code : String(err);
      out.message = err instanceof Error ? err.message : String(err);
    }
    out.createMs = Date.now() - t0;
    out.registryKeyLeft = regKeyExists(id, "default");
    out.computeSystem = await hcs(id, "open 1");
    out.bundleFiles = fs.readdirSync(bundle).sort();
    await api.shutdown({ id }).catch(() => {});
    out.shimExited = await gone(shimPid, 15_000);
    return out;
  } finally {
    client?.close();
    await runShim([...common, "-bundle", bundle, "delete"], tmp).catch(() => undefined);
    out.tempLeft = removeTemp(tmp);
  }
}

runDriver(async () => {
  const report: Record<string, unknown> = {};
  try {
    report.hang = await createWith("hang");
    report.crash = await createWith("crash");
  } catch (err: unknown) {
    report.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  return report;
});
