/**
 * Client side of the simulated compute system's pipe (`\\.\pipe\runhcs-wine-sim-cs-<id>`): one request
 * line per connection, one reply line (`ok ...` / `err 0x%08x message`). The same pipe serves the fake
 * vmcompute.dll (open/terminate/signal) and the simulator's own requests (see compute-system.ts).
 */
import net from "node:net";

/** The compute system pipe of container `id`; its absence means the compute system does not exist. */
export function csPipe(id: string): string {
  return `\\\\.\\pipe\\runhcs-wine-sim-cs-${id}`;
}

/** A reply: `ok` with the rest of the line, or an HRESULT-style error. */
export type CsReply = { ok: true; value: string } | { ok: false; code: number; message: string };

/** `err 0x80370110 ...`-like reply → an Error whose message is the text. */
export class CsError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function parseReply(line: string): CsReply | undefined {
  if (line === "ok" || line.startsWith("ok ")) return { ok: true, value: line.slice(3) };
  const m = /^err (0x[0-9a-fA-F]{8}) ?(.*)$/.exec(line);
  return m ? { ok: false, code: Number(m[1]), message: m[2] ?? "" } : undefined;
}

/** Connects; undefined when there is no compute system (no pipe). */
function connect(id: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(csPipe(id));
    sock.once("connect", () => {
      sock.removeAllListeners("error");
      sock.on("error", () => {});
      resolve(sock);
    });
    sock.once("error", () => resolve(undefined));
  });
}

/** Reads one `\n`-terminated line; the rest of the stream stays unread (paused) on the socket. */
function readLine(sock: net.Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      sock.off("data", onData);
      sock.off("close", onClose);
      sock.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length) sock.unshift(rest);
      resolve(buf.subarray(0, nl).toString("utf8"));
    };
    const onClose = () => resolve(undefined);
    sock.on("data", onData);
    sock.once("close", onClose);
  });
}

/**
 * One request; undefined when the compute system does not exist or went away before answering.
 * `timeoutMs` 0 waits for ever (`wait`).
 */
export async function csRequest(id: string, line: string, timeoutMs = 30_000): Promise<CsReply | undefined> {
  const sock = await connect(id);
  if (!sock) return undefined;
  const timer = timeoutMs ? setTimeout(() => sock.destroy(), timeoutMs) : undefined;
  try {
    sock.write(`${line}\n`);
    const reply = await readLine(sock);
    return reply === undefined ? undefined : parseReply(reply);
  } finally {
    if (timer) clearTimeout(timer);
    sock.destroy();
  }
}

/** A request that must succeed: the `ok` value, else throws (CsError, or "compute system does not exist"). */
export async function csCall(id: string, line: string, timeoutMs?: number): Promise<string> {
  const r = await csRequest(id, line, timeoutMs);
  if (!r)
    throw new CsError(
      0xc037010e,
      "A virtual machine or container with the specified identifier does not exist.",
    );
  if (!r.ok) throw new CsError(r.code, r.message);
  return r.value;
}

/** `attach <pid> <stream>`: after `ok`, the connection IS that stdio stream of the process. */
export async function csAttach(
  id: string,
  pid: number,
  stream: "stdin" | "stdout" | "stderr",
): Promise<net.Socket> {
  const sock = await connect(id);
  if (!sock) throw new Error("compute system does not exist");
  sock.write(`attach ${pid} ${stream}\n`);
  const line = await readLine(sock);
  const r = line === undefined ? undefined : parseReply(line);
  if (!r?.ok) {
    sock.destroy();
    throw new Error(`attach ${stream}: ${r && !r.ok ? r.message : "no answer"}`);
  }
  return sock;
}
