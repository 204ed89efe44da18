/**
 * State of the Wine runhcs simulator: one `state.json` per container (written once by `create`, atomically)
 * under `$RUNHCS_WINE_SIM_STATE/<root>/<id>/`; everything that changes (created/running) lives in the
 * helper process and is asked over its control pipe. A helper that does not answer is a stopped container.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Where the simulator keeps state (a Windows path). */
export const STATE_ENV = "RUNHCS_WINE_SIM_STATE";

/** What `create` records. */
export interface Record {
  id: string;
  bundle: string;
  helperPid: number;
  /** The init helper's control pipe. */
  pipe: string;
  created: string;
}

/** The directory of one container. */
export function containerDir(root: string, id: string): string {
  const base = process.env[STATE_ENV] || path.join(os.tmpdir(), "runhcs-wine-sim");
  return path.join(base, root.replace(/[\\/:]/g, "_") || "default", id);
}

export function readRecord(dir: string): Record | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as Record;
  } catch {
    return undefined;
  }
}

export function writeRecord(dir: string, rec: Record): void {
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, "state.json"), JSON.stringify(rec));
}

/** temp + rename: readers never see half a file (pid files too). */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Control requests a helper answers. */
export type Request = { op: "start" } | { op: "state" } | { op: "kill" } | { op: "ps" };
export type Reply = { ok: true; status?: string; pids?: number[] } | { ok: false; error: string };

/** One request over the helper's pipe; undefined when nobody answers (the helper is gone). */
export function ask(pipe: string, req: Request, timeoutMs = 20_000): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(pipe);
    let buf = "";
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (d: string) => {
      buf += d;
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.split("\n")[0] ?? "") as Reply);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Serves control requests (one JSON line in, one out, per connection). */
export function serve(pipe: string, handler: (req: Request) => Promise<Reply>): Promise<net.Server> {
  const server = net.createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("error", () => {});
    sock.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = "";
      handler(JSON.parse(line) as Request).then(
        (r) => sock.end(`${JSON.stringify(r)}\n`),
        (e: unknown) => sock.end(`${JSON.stringify({ ok: false, error: String(e) })}\n`),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(pipe, () => resolve(server));
  });
}
