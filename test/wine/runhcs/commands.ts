/**
 * The runhcs subcommands of the Wine simulator, each after its hcsshim cmd/runhcs file: create.go +
 * container.go `createContainer`/`startContainerShim`, start.go + container.go `Exec`, exec.go +
 * `startProcessShim`/`launchShim`, kill.go, state.go, ps.go, delete.go + container.go `Kill`/`Remove`.
 * A container is its registry record (regstate.ts) plus its compute system (compute-system.ts), found as
 * container.go `getContainer` finds them; `Status` as container.go `Status`.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseProcess } from "./compute-system.js";
import { csCall, csRequest } from "./cs-client.js";
import { shimPipe } from "./helper.js";
import { launch, writeAtomic } from "./launch.js";
import {
  createState,
  KEY_INIT_PID,
  KEY_SHIM_PID,
  type OciSpec,
  type Record,
  readRecord,
  removeState,
  setPid,
} from "./regstate.js";
import { validateLcow, validateWcow } from "./signals.js";

export interface Globals {
  /** The global flags as given (passed on to helpers). */
  argv: string[];
  log?: string;
  json: boolean;
  root: string;
  owner: string;
}

export interface Call {
  g: Globals;
  id: string;
  flags: Map<string, string>;
  rest: string[];
}

/** The hidden command that runs a container's compute system. */
export const COMPUTE_SYSTEM_COMMAND = "wine-sim-compute-system";
/**
 * How long `runhcs exec` waits after its helper reported success, before it writes the pid file and
 * returns: milliseconds, or `helper-exit` (until the helper has exited: the short-exec race, every time).
 */
export const EXEC_RETURN_DELAY_ENV = "RUNHCS_WINE_SIM_EXEC_RETURN_DELAY_MS";

const STOPPED = "container is stopped";
type Status = "created" | "running" | "stopped";

interface Container {
  rec: Record;
  status: Status;
}

/** container.go getContainer + Status. */
async function getContainer(g: Globals, id: string, notStopped: boolean): Promise<Container> {
  const rec = readRecord(g.root, id);
  if (notStopped && rec.shimPid === 0) throw new Error(STOPPED);
  const cs = await csRequest(id, "state");
  if (!cs && notStopped) throw new Error(STOPPED);
  let status: Status = "stopped";
  if (cs?.ok && rec.shimPid !== 0) {
    status = cs.value === "Created" ? "created" : cs.value === "Running" ? "running" : "stopped";
  }
  return { rec, status };
}

/** `hang` or `crash`: see `create`. */
export const CREATE_FAULT_ENV = "RUNHCS_WINE_SIM_CREATE_FAULT";

async function create({ g, id, flags }: Call): Promise<number> {
  const bundle = path.resolve(flags.get("--bundle") || process.cwd());
  const spec = JSON.parse(fs.readFileSync(path.join(bundle, "config.json"), "utf8")) as OciSpec;
  parseProcess(spec.process);
  createState(g.root, id, {
    ID: id,
    Owner: g.owner,
    Bundle: bundle,
    Created: new Date().toISOString(),
    Spec: spec,
    UniqueID: randomUUID(),
  });
  let cs: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    cs = await launch(g.argv, [COMPUTE_SYSTEM_COMMAND, id], ["ignore", "ignore", "ignore"]);
    // Test knob: a create that never returns, or dies without its deferred cleanup (killed, crashed),
    // once the registry state and the compute system exist — what a caller must clean up after.
    const fault = process.env[CREATE_FAULT_ENV];
    if (fault === "hang") await new Promise(() => {});
    if (fault === "crash") process.exit(2);
    const h = await launch(g.argv, ["shim", id], [0, 1, 2]);
    setPid(g.root, id, KEY_SHIM_PID, h.pid);
    const pidFile = flags.get("--pid-file");
    if (pidFile) writeAtomic(pidFile, String(h.pid));
    h.drop();
    cs.drop();
    return 0;
  } catch (err: unknown) {
    if (cs) await csRequest(id, "shutdown");
    removeState(g.root, id);
    throw err;
  }
}

async function start({ g, id }: Call): Promise<number> {
  const c = await getContainer(g, id, false);
  if (c.status === "stopped") throw new Error("cannot start a container that has stopped");
  if (c.status === "running") throw new Error("cannot start an already running container");
  await csCall(id, "start");
  const reply = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(shimPipe(c.rec.state.UniqueID));
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
    });
    sock.on("error", reject);
    sock.on("close", () => resolve(buf.trim()));
  });
  if (reply !== "OK") throw new Error(reply.replace(/^ERR /, "") || "the shim exited");
  return 0;
}

/** exec.go validateProcessSpec. */
function validateExecSpec(p: { cwd?: unknown }): void {
  if (typeof p.cwd !== "string" || p.cwd === "") throw new Error("cwd property must not be empty");
  if (!path.isAbsolute(p.cwd) && !p.cwd.startsWith("/")) throw new Error("cwd must be an absolute path");
}

async function exec({ g, id, flags }: Call): Promise<number> {
  const c = await getContainer(g, id, false);
  if (c.status !== "running") throw new Error(STOPPED);
  const processFile = path.resolve(flags.get("--process") || flags.get("-p") || "");
  const spec = parseProcess(JSON.parse(fs.readFileSync(processFile, "utf8")));
  validateExecSpec(spec);
  const h = await launch(g.argv, ["shim", "--exec", "--process", processFile, id], [0, 1, 2]);
  // The race of a short exec, on demand: a delay in ms, or `helper-exit` (until the helper has exited).
  const knob = process.env[EXEC_RETURN_DELAY_ENV] ?? "";
  if (knob === "helper-exit") await h.exited;
  else if (Number(knob) > 0) await new Promise((r) => setTimeout(r, Number(knob)));
  const pidFile = flags.get("--pid-file");
  if (pidFile) writeAtomic(pidFile, String(h.pid));
  if (flags.has("--detach") || flags.has("-d")) {
    h.drop();
    return 0;
  }
  return await h.exited; // exec.go: os.Exit(ExitCode) of the helper
}

async function kill({ g, id, rest }: Call): Promise<number> {
  const c = await getContainer(g, id, true);
  if (c.status !== "running") throw new Error(STOPPED);
  const sig = rest[1] ?? "";
  const delivery = c.rec.state.Spec.linux !== undefined ? validateLcow(sig) : validateWcow(sig);
  const pid = c.rec.values.get(KEY_INIT_PID);
  if (pid === undefined) throw new Error(`state '${KEY_INIT_PID}' is not present for ID '${id}'`);
  if (delivery.kind === "terminate") await csCall(id, `terminate ${pid}`);
  else await csCall(id, `signal ${pid} ${JSON.stringify(delivery.options)}`);
  return 0;
}

async function state({ g, id }: Call): Promise<number> {
  const c = await getContainer(g, id, false);
  const s = c.rec.state;
  const out = {
    ociVersion: s.Spec.ociVersion ?? "",
    id,
    pid: Math.max(0, c.rec.shimPid),
    status: c.status,
    bundle: s.Bundle,
    rootfs: s.Rootfs ?? "",
    created: s.Created,
    annotations: s.Spec.annotations ?? {},
    owner: s.Owner ?? "",
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}`);
  return 0;
}

async function ps({ g, id }: Call): Promise<number> {
  await getContainer(g, id, true);
  const pids = JSON.parse(await csCall(id, "ps")) as number[];
  // Go's json.Encoder writes a nil slice as null.
  process.stdout.write(`${JSON.stringify(pids.length ? pids : null)}\n`);
  return 0;
}

/** Whether `pid` names a live process. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function del({ g, id, flags }: Call): Promise<number> {
  const c = await getContainer(g, id, false);
  const force = flags.has("--force") || flags.has("-f");
  if (c.status === "running" && !force) {
    throw new Error(`cannot delete container ${id} that is not stopped: ${c.status}`);
  }
  // The helpers (the init's `shim`, each exec's `pid-<helper>`), read before they start clearing them.
  const helpers = helperPids(g.root, id);
  // container.go Kill (created/running) = Terminate + Wait; a stopped compute system is closed too.
  await csRequest(id, "shutdown", 60_000);
  // Helpers clear their `pid-<helper>` (and the init helper `shim`) as they exit: give them that chance
  // before the key goes, and wait for the processes themselves, not for those values: a helper clears its
  // value just before it exits (bounded: a killed helper never clears anything).
  const deadline = Date.now() + 10_000;
  while (helpers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  removeState(g.root, id);
  return 0;
}

function helperPids(root: string, id: string): number[] {
  try {
    const rec = readRecord(root, id);
    const pids = [...rec.values.keys()].filter((k) => k.startsWith("pid-")).map((k) => Number(k.slice(4)));
    return rec.shimPid > 0 ? [...pids, rec.shimPid] : pids;
  } catch {
    return [];
  }
}

export const commands: { [name: string]: ((call: Call) => Promise<number>) | undefined } = {
  create,
  start,
  exec,
  kill,
  state,
  ps,
  delete: del,
};
