/**
 * The runhcs simulator for the Wine lane: a Windows node program with runhcs's command line, run as
 * `runhcs.exe` (a Node single-executable built by test/wine/setup.sh whose script `require`s this file).
 * It is deliberately small, unlike the Linux simulator in test/sim: create (detached helper with the
 * call's stdio, pid file = helper pid), start, state, kill, exec (--detach), ps, delete [--force].
 * Errors: message on stderr, exit 1, and with `--log F --log-format json` a logrus-style line in F
 * (the shim reads runhcs's error back from that log).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import type { Socket } from "node:net";
import { parseProcess, pipeName, runHelper } from "./helper.js";
import { ask, containerDir, readRecord, writeAtomic, writeRecord } from "./state.js";

interface Globals {
  argv: string[];
  log?: string;
  json: boolean;
  root: string;
}

/** Splits `[global flags] <command> [flags] [positionals]`; `--x=v` and `--x v` both accepted. */
function parse(argv: string[]): { g: Globals; command: string; flags: Map<string, string>; rest: string[] } {
  const g: Globals = { argv: [], json: false, root: "" };
  const BOOL = new Set(["--debug", "--detach", "--force"]);
  const read = (i: number, into: Map<string, string>): number => {
    const a = argv[i] as string;
    const eq = a.indexOf("=");
    if (eq > 0) into.set(a.slice(0, eq), a.slice(eq + 1));
    else if (BOOL.has(a)) into.set(a, "true");
    else {
      into.set(a, argv[i + 1] ?? "");
      return i + 2;
    }
    return i + 1;
  };
  const globals = new Map<string, string>();
  let i = 0;
  while (i < argv.length && (argv[i] as string).startsWith("-")) i = read(i, globals);
  g.argv = argv.slice(0, i);
  const log = globals.get("--log");
  if (log) g.log = log;
  g.json = globals.get("--log-format") === "json";
  g.root = globals.get("--root") ?? "";
  const command = argv[i++] ?? "";
  const flags = new Map<string, string>();
  const rest: string[] = [];
  while (i < argv.length) {
    if ((argv[i] as string).startsWith("-")) i = read(i, flags);
    else rest.push(argv[i++] as string);
  }
  return { g, command, flags, rest };
}

/** Starts a helper with this call's stdio and waits for its `OK` on fd 3. */
function launch(g: Globals, args: string[]): Promise<{ pid: number; exited: Promise<number>; drop(): void }> {
  const child = spawn(process.execPath, [...g.argv, "shim", ...args], {
    detached: true,
    stdio: [0, 1, 2, "pipe"],
    windowsHide: true,
  });
  const exited = new Promise<number>((r) => child.once("exit", (c) => r(c === null ? 1 : c >>> 0)));
  const pipe = child.stdio[3] as Socket;
  return new Promise((resolve, reject) => {
    let buf = "";
    pipe.setEncoding("utf8");
    pipe.on("error", () => {});
    pipe.on("data", (d: string) => {
      buf += d;
      if (!buf.includes("\n")) return;
      if (!buf.startsWith("OK")) return reject(new Error(buf.replace(/^ERR /, "").trim()));
      resolve({
        pid: child.pid as number,
        exited,
        drop: () => {
          pipe.destroy();
          child.unref();
        },
      });
    });
    child.once("exit", () => setImmediate(() => reject(new Error(buf.trim() || "unknown shim failure"))));
  });
}

async function run(argv: string[]): Promise<number> {
  const { g, command, flags, rest } = parse(argv);
  const id = rest[0] ?? "";
  const dir = containerDir(g.root, id);
  const fail = (msg: string): number => {
    process.stderr.write(`${msg}\n`);
    if (g.log && g.json) {
      fs.appendFileSync(
        g.log,
        `${JSON.stringify({ level: "error", msg, time: new Date().toISOString() })}\n`,
      );
    }
    return 1;
  };
  if (!id) return fail(`${command}: container id is required`);
  const rec = readRecord(dir);
  if (command !== "create" && command !== "shim" && !rec) return fail(`container ${id} does not exist`);
  try {
    switch (command) {
      case "shim":
        await runHelper({
          dir,
          bundle: flags.get("--bundle") ?? rec?.bundle ?? "",
          ...(flags.has("--exec") ? { processFile: flags.get("--exec") as string } : {}),
        });
        return -1; // the helper exits by itself
      case "create": {
        if (rec) return fail(`container with id exists: ${id}`);
        const bundle = flags.get("--bundle") ?? process.cwd();
        parseProcess(JSON.parse(fs.readFileSync(`${bundle}\\config.json`, "utf8")).process);
        const h = await launch(g, ["--bundle", bundle, id]);
        writeRecord(dir, {
          id,
          bundle,
          helperPid: h.pid,
          pipe: pipeName(dir, h.pid),
          created: new Date().toISOString(),
        });
        const pidFile = flags.get("--pid-file");
        if (pidFile) writeAtomic(pidFile, String(h.pid));
        h.drop();
        return 0;
      }
      case "exec": {
        const status = rec ? await ask(rec.pipe, { op: "state" }) : undefined;
        if (!rec || !status?.ok || status.status !== "running") return fail("container is stopped");
        const processFile = flags.get("--process") ?? "";
        const h = await launch(g, ["--exec", processFile, "--bundle", rec.bundle, id]);
        const pidFile = flags.get("--pid-file");
        if (pidFile) writeAtomic(pidFile, String(h.pid));
        if (flags.has("--detach")) {
          h.drop();
          return 0;
        }
        return await h.exited;
      }
      case "state": {
        const r = rec ? await ask(rec.pipe, { op: "state" }) : undefined;
        const running = r?.ok === true;
        const state = {
          ociVersion: "1.0.2",
          id,
          pid: running ? rec?.helperPid : 0,
          status: running ? r.status : "stopped",
          bundle: rec?.bundle,
          rootfs: "",
          created: rec?.created,
          annotations: {},
          owner: "",
        };
        process.stdout.write(`${JSON.stringify(state)}\n`);
        return 0;
      }
      case "ps": {
        const r = rec ? await ask(rec.pipe, { op: "ps" }) : undefined;
        process.stdout.write(`${JSON.stringify(r?.ok ? (r.pids ?? []) : [])}\n`);
        return 0;
      }
      case "start":
      case "kill": {
        const r = rec ? await ask(rec.pipe, { op: command }) : undefined;
        if (!r) return fail("container is stopped");
        return r.ok ? 0 : fail(r.error);
      }
      case "delete": {
        const r = rec ? await ask(rec.pipe, { op: "state" }) : undefined;
        if (r && !flags.has("--force")) return fail(`cannot delete container ${id} that is not stopped`);
        if (r && rec) {
          await ask(rec.pipe, { op: "kill" });
          try {
            process.kill(rec.helperPid);
          } catch {}
        }
        fs.rmSync(dir, { recursive: true, force: true });
        return 0;
      }
      default:
        return fail(`${command}: not supported by the Wine runhcs simulator`);
    }
  } catch (err: unknown) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

// SEA argv: [runhcs.exe, runhcs.exe, ...args]; under plain node: [node.exe, main.js, ...args].
// No top-level await: runhcs.exe loads this module with require() (require(esm) of Node 20.19+).
run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`runhcs (Wine simulator): ${String(err)}\n`);
    process.exit(1);
  },
);
