/**
 * containerd's side of a named pipe for the Wine drivers: stdio pipes (`ctr` serves them, the shim dials)
 * and the shim's log pipe (the shim serves, containerd dials). Collects text until closed.
 */
import net from "node:net";

/** A one-connection pipe server that collects what it receives. */
export interface Collector {
  readonly path: string;
  /** Text received so far, over every connection. */
  text(): string;
  /** The first connection (to write stdin). */
  readonly conn: Promise<net.Socket>;
  close(): void;
}

/** Serves `path` (a `\\.\pipe\...` name) and collects. */
export async function collectOn(path: string): Promise<Collector> {
  let text = "";
  const sockets: net.Socket[] = [];
  const server = net.createServer();
  const conn = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  server.on("connection", (s) => {
    sockets.push(s);
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      text += d;
    });
    s.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return {
    path,
    text: () => text,
    conn,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Dials `path` (retrying while it does not exist yet) and collects what arrives. */
export function dialAndCollect(path: string, timeoutMs: number): Promise<Collector> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = net.connect(path);
      let text = "";
      s.once("connect", () => {
        s.setEncoding("utf8");
        s.on("data", (d: string) => {
          text += d;
        });
        s.on("error", () => {});
        resolve({ path, text: () => text, conn: Promise.resolve(s), close: () => s.destroy() });
      });
      s.once("error", (err) => {
        if (Date.now() > deadline) reject(err);
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}
