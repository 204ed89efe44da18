/**
 * Wine driver: the DACL of the shim's pipes as a client reads it back (`pipe-dacl.ts`).
 * 1. `Platform.listenPipe` under our ttrpc server: a ttrpc call (the instance went through libuv), then
 *    more clients than pending instances (so instances created after accepts), then the DACL; after the
 *    server stops, the name is gone.
 * 2. The shim binary: `start`, containerd's dial of the log pipe, then the DACL of the task pipe and of
 *    the log pipe (instances created after a first accept: `start`'s probe, containerd's log dial).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Task } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { Client, createClient, Server } from "../../../src/ttrpc/index.js";
import { pipeDacl } from "./pipe-dacl.js";
import { dialAndCollect } from "./pipe-server.js";
import { runDriver, within } from "./report.js";
import { gone, NS, runShim } from "./shim-run.js";

const pipe = (name: string) => `\\\\.\\pipe\\${name}`;

function dial(name: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(name);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

async function direct(): Promise<Record<string, unknown>> {
  const name = pipe(`wine-secure-${randomBytes(4).toString("hex")}`);
  const server = new Server();
  server.register("wine.Echo", { Echo: (req) => req });
  const listener = windowsPlatform.listenPipe(name);
  // The server runs on this thread too: wait until it has seen every client (and so replaced the
  // instances they took) before a next synchronous open.
  let accepted = 0;
  const waiters: (() => void)[] = [];
  listener.on("connection", () => {
    accepted++;
    for (const w of waiters.splice(0)) w();
  });
  const acceptedAll = async (n: number): Promise<void> => {
    while (accepted < n) await within(new Promise<void>((r) => waiters.push(r)), 10_000, `accept ${n}`);
  };
  server.serve(listener);
  const held: net.Socket[] = [];
  try {
    const client = await Client.connect(name, { timeoutMs: 10_000 });
    const echoed = await client.call("wine.Echo", "Echo", new TextEncoder().encode("hi"), {
      timeoutMs: 10_000,
    });
    const daclFirst = pipeDacl(name);
    // More clients than pending instances: the next one is an instance created after accepts.
    for (let i = 0; i < 6; i++) held.push(await within(dial(name), 10_000, `client ${i}`));
    await acceptedAll(8);
    const daclLater = pipeDacl(name);
    client.close();
    for (const s of held) s.destroy();
    await server.shutdown(AbortSignal.timeout(5_000));
    const afterClose = await dial(name).then(
      (s) => {
        s.destroy();
        return "connected";
      },
      (err: NodeJS.ErrnoException) => err.code ?? String(err),
    );
    return { echo: new TextDecoder().decode(echoed), daclFirst, daclLater, accepted, afterClose };
  } finally {
    for (const s of held) s.destroy();
    server.close();
  }
}

async function shim(): Promise<Record<string, unknown>> {
  const id = `s${randomBytes(4).toString("hex")}`;
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), "wine-pipe-sec-"));
  fs.writeFileSync(path.join(bundle, "config.json"), "{}");
  const args = ["-id", id, "-address", pipe(`containerd-wine-${id}`), "-publish-binary", process.execPath];
  const report: Record<string, unknown> = {};
  try {
    const started = await within(runShim([...args, "start"], bundle), 60_000, "shim start");
    report.start = { code: started.code, stderr: started.stderr };
    if (started.code !== 0) return report;
    const address = started.stdout.toString().trim();
    const log = await dialAndCollect(pipe(`containerd-shim-${NS}-${id}-log`), 10_000);
    report.taskDacl = pipeDacl(address);
    report.logDacl = pipeDacl(pipe(`containerd-shim-${NS}-${id}-log`));
    const client = await Client.connect(address, { timeoutMs: 10_000 });
    const task = createClient(client, Task);
    const { shimPid } = await task.connect({ id }, { timeoutMs: 10_000 });
    await task.shutdown({ id, now: true }, { timeoutMs: 10_000 }).catch(() => undefined);
    client.close();
    report.shimExited = await gone(shimPid, 15_000);
    log.close();
    return report;
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

runDriver(async () => ({ direct: await direct(), shim: await shim() }));
