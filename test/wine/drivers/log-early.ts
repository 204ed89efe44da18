/**
 * Wine driver: the shim server listens on its log pipe before it loads the Task service graph.
 * The server is started as `start` starts it (no action, `-socket`), with `load-gate.js` preloaded: the
 * load of `src/shim/serve.js` waits on a gate pipe this driver serves. While it waits, the driver dials
 * the log pipe (once, no retry) and the task pipe; then it opens the gate, waits for the task pipe,
 * sends Shutdown and waits for the server to exit.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Task } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient } from "../../../src/ttrpc/index.js";
import { dialAndCollect } from "./pipe-server.js";
import { runDriver, within } from "./report.js";
import { NS } from "./shim-run.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pipe = (name: string) => `\\\\.\\pipe\\${name}`;

/** One dial: true when something accepts on `name` now. */
function accepts(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(name);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

runDriver(async () => {
  const id = `e${randomBytes(4).toString("hex")}`;
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), "wine-log-early-"));
  const gatePipe = pipe(`wine-load-gate-${id}`);
  const socket = pipe(`ProtectedPrefix\\Administrators\\containerd-shim-${NS}-${id}-pipe`);
  const logPipe = pipe(`containerd-shim-${NS}-${id}-log`);
  const gate = net.createServer();
  const gated = new Promise<net.Socket>((resolve) => gate.once("connection", resolve));
  await new Promise<void>((resolve) => gate.listen(gatePipe, resolve));
  const server = spawn(
    process.execPath,
    [
      "--import",
      `file:///${path.join(here, "load-gate.js").replaceAll("\\", "/")}`,
      path.join(here, "shim-entry.js"),
      ...["-namespace", NS, "-id", id, "-address", pipe(`containerd-wine-${id}`)],
      ...["-publish-binary", process.execPath, "-bundle", bundle, "-socket", socket],
    ],
    { cwd: bundle, env: { ...process.env, WINE_LOAD_GATE_PIPE: gatePipe }, stdio: "ignore" },
  );
  const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
  const report: Record<string, unknown> = {};
  try {
    const held = await within(gated, 60_000, "the server reaching the load of serve.js");
    report.logPipeWhileGraphLoads = await accepts(logPipe);
    report.taskPipeWhileGraphLoads = await accepts(socket);
    const log = await dialAndCollect(logPipe, 1_000).catch(() => undefined);
    held.end();
    gate.close();
    // No event tells when a pipe name appears: dial until it does (bounded).
    const deadline = Date.now() + 60_000;
    while (!(await accepts(socket)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const client = await Client.connect(socket, { timeoutMs: 10_000 });
    try {
      await createClient(client, Task)
        .shutdown({ id, now: true }, { timeoutMs: 20_000 })
        .catch(() => undefined);
    } finally {
      client.close();
    }
    report.exitCode = await within(exited, 30_000, "the server's exit");
    report.logHasServing = log?.text().includes("shim serving") ?? false;
    log?.close();
    return report;
  } finally {
    gate.close();
    if (server.exitCode === null) server.kill();
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});
