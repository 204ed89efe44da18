/**
 * The control channel of a `runhcs shim` helper (runhcs uses a named pipe `runhcs-shim-<GUID>`): a Linux
 * abstract unix socket named after the container's state directory and the helper pid, so it needs no
 * file and vanishes with the helper. One JSON request line, one JSON reply line per connection.
 */
import { createHash } from "node:crypto";
import { createConnection, createServer, type Server } from "node:net";

/** Requests a helper understands. */
export type ControlRequest = { op: "start" } | { op: "resize"; width: number; height: number };
/** Reply: ok, or the error text runhcs would print. */
export type ControlReply = { ok: true } | { ok: false; error: string };

/** Abstract socket address of the helper with host pid `helperPid` for container dir `containerDir`. */
export function controlAddress(containerDir: string, helperPid: number): string {
  const h = createHash("sha256").update(containerDir).digest("hex").slice(0, 24);
  return `\0runhcs-sim-${h}-${helperPid}`;
}

/** Starts serving requests; resolves once listening. */
export function serveControl(
  address: string,
  handler: (req: ControlRequest) => Promise<ControlReply>,
): Promise<Server> {
  const server = createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("error", () => {});
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = "";
      let req: ControlRequest;
      try {
        req = JSON.parse(line) as ControlRequest;
      } catch {
        sock.end(`${JSON.stringify({ ok: false, error: "bad control request" })}\n`);
        return;
      }
      handler(req).then(
        (reply) => sock.end(`${JSON.stringify(reply)}\n`),
        (err: unknown) =>
          sock.end(`${JSON.stringify({ ok: false, error: String((err as Error).message ?? err) })}\n`),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** Sends one request; rejects with `unknown shim failure` when the helper is unreachable or silent. */
export function controlRequest(
  address: string,
  req: ControlRequest,
  timeoutMs = 30_000,
): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(address);
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("unknown shim failure: timed out"));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (c: string) => {
      buf += c;
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      const line = buf.split("\n")[0] ?? "";
      try {
        resolve(JSON.parse(line) as ControlReply);
      } catch {
        reject(new Error("unknown shim failure"));
      }
    });
  });
}
