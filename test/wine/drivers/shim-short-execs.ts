/**
 * Many execs that end at once (`cmd /c exit N`), through the shim binary against runhcs.exe: every Wait
 * and Delete must report the exact code. `runhcs exec --detach` returns after the helper reported
 * success, so such an exec (and its helper) may be gone before the shim reads the pid file; the shim runs
 * exec attached, taking runhcs exec's own exit code. Args: <count> <concurrency>.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient } from "../../../src/ttrpc/index.js";
import { driverArgs, removeTemp, runDriver, within } from "./report.js";
import { gone, runShim } from "./shim-run.js";

const PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";
const pipe = (name: string) => `\\\\.\\pipe\\${name}`;
const cmd = `${process.env.SystemRoot ?? "C:\\windows"}\\system32\\cmd.exe`;

/** Exit codes to try: small, 8-bit edges, beyond 8 bits, and the top bit (0xC0000005 as cmd's signed form). */
function codeFor(i: number): { arg: string; code: number } {
  const fixed: Array<[string, number]> = [
    ["0", 0],
    ["1", 1],
    ["255", 255],
    ["256", 256],
    ["1234", 1234],
    ["-1073741819", 0xc0000005],
  ];
  const f = fixed[i % 8];
  if (f) return { arg: f[0], code: f[1] };
  const n = (i * 7919) % 100_000;
  return { arg: String(n), code: n };
}

runDriver(async () => {
  const [count = 200, concurrency = 8] = driverArgs.map(Number);
  const id = `s${randomBytes(4).toString("hex")}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-short-"));
  const bundle = path.join(tmp, "bundle");
  const layers = [path.join(tmp, "l1"), path.join(tmp, "l2")];
  for (const d of [bundle, ...layers]) fs.mkdirSync(d, { recursive: true });
  const spec = (args: string[]) => ({
    args,
    cwd: bundle,
    env: [`SystemRoot=${process.env.SystemRoot ?? ""}`],
  });
  fs.writeFileSync(
    path.join(bundle, "config.json"),
    JSON.stringify({
      ociVersion: "1.0.2",
      process: spec([process.execPath, "-e", "setInterval(() => {}, 1000)"]),
      windows: { layerFolders: layers },
    }),
  );
  const tag = randomBytes(4).toString("hex");
  const common = ["-id", id, "-address", pipe(`containerd-wine-${tag}`), "-publish-binary", process.execPath];
  const report: Record<string, unknown> = { id, count, concurrency };
  let client: Client | undefined;
  try {
    const started = await within(runShim([...common, "start"], bundle), 60_000, "shim start");
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    client = await Client.connect(started.stdout.toString().trim(), { timeoutMs: 10_000 });
    const api = createClient(client, TaskV2);
    const shimPid = (await api.connect({ id })).shimPid;
    await api.create({ id, bundle, stdout: "", stdin: "", stderr: "" });
    await api.start({ id });

    const wrong: Array<{ execId: string; expected: number; wait: number; delete: number }> = [];
    const t0 = Date.now();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const execId = `x${i}`;
        const { arg, code } = codeFor(i);
        const value = new TextEncoder().encode(JSON.stringify(spec([cmd, "/c", `exit ${arg}`])));
        await api.exec({
          id,
          execId,
          stdin: "",
          stdout: "",
          stderr: "",
          spec: create(AnySchema, { typeUrl: PROCESS_TYPE, value }),
        });
        await api.start({ id, execId });
        const w = await within(api.wait({ id, execId }), 60_000, `wait ${execId}`);
        const d = await api.delete({ id, execId });
        if (w.exitStatus !== code || d.exitStatus !== code)
          wrong.push({ execId, expected: code, wait: w.exitStatus, delete: d.exitStatus });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    report.ms = Date.now() - t0;
    report.wrong = wrong;
    await api.kill({ id, signal: 9 });
    await within(api.wait({ id }), 30_000, "wait init");
    await api.delete({ id });
    await api.shutdown({ id }).catch(() => {});
    report.shimExited = await gone(shimPid, 15_000);
    return report;
  } catch (err: unknown) {
    report.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return report;
  } finally {
    client?.close();
    await runShim([...common, "-bundle", bundle, "delete"], tmp).catch(() => undefined);
    report.tempLeft = removeTemp(tmp);
  }
});
