/**
 * The `runhcs shim` helper of the Wine simulator, after hcsshim's cmd/runhcs/shim.go (`shimCommand`):
 * the process whose pid goes into the pid file. It does NOT run the container process: it asks the
 * compute system to create it (`cmdpkg.Cmd{Host: c.hc}`), relays stdio between its inherited handles
 * (fd 0/1/2: the stdio `runhcs create/exec` got) and the compute system's process (as cmdpkg.Cmd copies
 * HCS process stdio), records `pid` / `pid-<own pid>` in the registry before reporting success, waits,
 * clears `pid-<own pid>` (and, for the init, sets `shim` to 0) and exits with the process's exact 32-bit
 * exit code once its output was relayed. A killed helper leaves the container process running.
 *
 * Readiness goes to `runhcs create/exec` on fd 3 (`OK` / `ERR <text>`), as launchShim's error pipe; the
 * init helper then listens on its shim pipe and creates the init process when `runhcs start` connects
 * (container.go `Exec`), answering `OK` / `ERR <text>` on that connection.
 */
import fs from "node:fs";
import net from "node:net";
import { parseProcess } from "./compute-system.js";
import { csAttach, csCall, csRequest } from "./cs-client.js";
import { clearValue, KEY_INIT_PID, KEY_SHIM_PID, pidMapKey, readRecord, setPid } from "./regstate.js";
import { TERMINATED_EXIT } from "./signals.js";

/** The init helper's pipe (ShimPipePath: `runhcs-shim-<UniqueID>`). */
export function shimPipe(uniqueId: string): string {
  return `\\\\.\\pipe\\runhcs-wine-sim-shim-${uniqueId}`;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Creates the process in the compute system, records its pid, attaches stdio. */
async function launch(root: string, id: string, spec: unknown, init: boolean): Promise<number> {
  const bundle = readRecord(root, id).state.Bundle;
  const pid = Number(await csCall(id, `spawn ${JSON.stringify({ process: spec, bundle, init })}`));
  try {
    // cmd.Start (stdio included), then the registry (shim.go), then success is reported.
    const [sin, sout, serr] = await Promise.all(
      (["stdin", "stdout", "stderr"] as const).map((s) => csAttach(id, pid, s)),
    );
    relay(sin as net.Socket, sout as net.Socket, serr as net.Socket);
    if (init) setPid(root, id, KEY_INIT_PID, pid);
    setPid(root, id, pidMapKey(process.pid), pid);
  } catch (err: unknown) {
    await csRequest(id, `terminate ${pid}`);
    throw err;
  }
  return pid;
}

let outputDone: Promise<unknown> = Promise.resolve();

/** stdin → process until EOF; process stdout/stderr → our fd 1/2; outputDone once both ended and flushed. */
function relay(sin: net.Socket, sout: net.Socket, serr: net.Socket): void {
  process.stdin.on("error", () => sin.end());
  process.stdin.pipe(sin);
  const copy = (from: net.Socket, to: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      from.on("data", (d: Buffer) => to.write(d));
      from.once("close", () => to.write("", () => resolve()));
      from.resume();
    });
  outputDone = Promise.all([copy(sout, process.stdout), copy(serr, process.stderr)]);
}

/** Waits for the process; exits with its code after the output, clearing the registry as shim.go's defers. */
async function waitAndExit(root: string, id: string, pid: number, init: boolean): Promise<never> {
  const r = await csRequest(id, `wait ${pid}`, 0);
  const code = r?.ok ? Number(r.value) >>> 0 : TERMINATED_EXIT;
  await outputDone;
  clearValue(root, id, pidMapKey(process.pid));
  if (init) setPidQuietly(root, id, KEY_SHIM_PID, 0);
  process.exit(code);
}

function setPidQuietly(root: string, id: string, name: string, value: number): void {
  try {
    setPid(root, id, name, value);
  } catch {}
}

/** Runs a helper (`runhcs shim [--exec F] <id>`). */
export async function runHelper(opts: { root: string; id: string; processFile?: string }): Promise<void> {
  const ready = new net.Socket({ fd: 3, readable: true, writable: true });
  ready.on("error", () => {});
  const { root, id } = opts;
  try {
    if (opts.processFile) {
      const spec = parseProcess(JSON.parse(fs.readFileSync(opts.processFile, "utf8")));
      const pid = await launch(root, id, spec, false);
      ready.end("OK\n");
      await waitAndExit(root, id, pid, false);
      return;
    }
    await runInit(root, id, ready);
  } catch (err: unknown) {
    ready.end(`ERR ${message(err)}\n`, () => process.exit(1));
  }
}

async function runInit(root: string, id: string, ready: net.Socket): Promise<void> {
  const rec = readRecord(root, id);
  const spec = parseProcess(rec.state.Spec.process);
  if ((await csRequest(id, "state")) === undefined) throw new Error("container is stopped");
  let connected = false;
  const server = net.createServer((conn) => {
    conn.on("error", () => {});
    if (connected) {
      conn.destroy();
      return;
    }
    connected = true;
    server.close();
    launch(root, id, spec, true).then(
      (pid) => {
        conn.end("OK\n");
        void waitAndExit(root, id, pid, true);
      },
      (err: unknown) => conn.end(`ERR ${message(err)}\n`, () => exitInit(root, id, 1)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(shimPipe(rec.state.UniqueID), resolve);
  });
  ready.write("OK\n");
  // `runhcs create` is gone: it must have registered us (`shim`), or it failed and we must not linger.
  ready.on("close", () => {
    let shim = -1;
    try {
      shim = readRecord(root, id).shimPid;
    } catch {}
    if (shim !== process.pid) process.exit(1);
  });
  ready.resume();
  // The container stops (delete --force) before `runhcs start` connected: exit 1, as shim.go does.
  void csRequest(id, "waitstop", 0).then(() => {
    if (!connected) exitInit(root, id, 1);
  });
}

function exitInit(root: string, id: string, code: number): never {
  setPidQuietly(root, id, KEY_SHIM_PID, 0);
  process.exit(code);
}
