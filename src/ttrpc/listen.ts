/**
 * Binding a listening socket for a ttrpc address.
 *
 * A unix socket path may be left behind by a process that died; binding then fails with
 * EADDRINUSE although nobody listens. Like containerd's shim we probe the path: if a connect is
 * refused and the path is a socket, it is stale and is replaced; if something answers, the address
 * really is in use and we fail. Windows named pipes (`\\.\pipe\...`) have no files and go straight
 * to `net.Server.listen`.
 */
import { lstat, unlink } from "node:fs/promises";
import { createConnection, type Server } from "node:net";

const UNIX_PREFIX = "unix://";

/** The filesystem path or pipe name of a ttrpc address (`unix://` prefix optional). */
export function addressPath(address: string): string {
  return address.startsWith(UNIX_PREFIX) ? address.slice(UNIX_PREFIX.length) : address;
}

/** True for Windows named pipe addresses. */
export function isNamedPipe(path: string): boolean {
  return /^[\\/]{2}[.?][\\/]pipe[\\/]/i.test(path);
}

function listenOnce(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(path);
  });
}

/** Resolves true if something accepts connections on `path`. */
function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** Binds `server` to `address`, replacing a stale unix socket file (see the module comment). */
export async function listenAt(server: Server, address: string): Promise<void> {
  const path = addressPath(address);
  if (isNamedPipe(path) || path.startsWith("\0")) {
    await listenOnce(server, path);
    return;
  }
  try {
    await listenOnce(server, path);
    return;
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    const st = await lstat(path).catch(() => undefined);
    if (st !== undefined && !st.isSocket()) throw err;
    if (st !== undefined) {
      if (await probe(path)) throw err;
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
    }
  }
  await listenOnce(server, path);
}
