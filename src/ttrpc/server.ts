/**
 * ttrpc server: a method registry plus listeners and connections, with Go's lifecycle.
 *
 * `shutdown` mirrors Go's `Server.Shutdown`: stop accepting, close idle connections, let busy ones
 * finish their in-flight calls and close as they become idle (event-driven instead of Go's 200 ms
 * poll). `close` mirrors `Server.Close`: everything goes now, in-flight handlers see their signal abort.
 */
import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { UnaryHandler } from "./call-context.js";
import { MAX_MESSAGE_BYTES } from "./frame.js";
import { listenAt } from "./listen.js";
import { type PeerFaultLimit, type PeerFaultReport, PeerFaultReporter } from "./peer-faults.js";
import { type ConnectionHost, ServerConnection } from "./server-connection.js";
import { Code, StatusError } from "./status.js";

export { DEFAULT_PEER_FAULT_LIMIT, type PeerFaultLimit, type PeerFaultReport } from "./peer-faults.js";

/** Server tuning and hooks. */
export interface ServerOptions {
  /** Largest frame payload accepted or sent; defaults to ttrpc's 4 MiB. */
  maxMessageBytes?: number;
  /**
   * Bytes of replies a connection may have queued for a peer that does not read before it is closed
   * (reading already stops at the socket's high-water mark). Defaults to 8 × maxMessageBytes.
   */
  maxPendingWriteBytes?: number;
  /**
   * Called for unexpected errors, i.e. our bugs and transport failures (with their stack): `where` is
   * "connection", "listener", "response" or "handler <svc>/<m>". Peer faults never come here.
   */
  onError?: (err: unknown, where: string) => void;
  /**
   * Called for peer faults (see `peer-faults.ts`): the first fault of a connection as one line of text,
   * rate-limited across connections by `peerFaultLimit`, and the count of those left out.
   */
  onPeerFault?: (report: PeerFaultReport) => void;
  /** Defaults to {@link DEFAULT_PEER_FAULT_LIMIT} (10 reports a minute). */
  peerFaultLimit?: PeerFaultLimit;
}

/**
 * Anything that hands over accepted streams: `net.Server`, or a listener created elsewhere (e.g. a
 * named pipe whose instances carry their own security descriptor). Emits "connection", "close", "error".
 */
export interface Listener {
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own listener type (each event has its own arguments)
  on(event: string, listener: (...args: any[]) => void): unknown;
  close(): unknown;
}

/** A ttrpc server; see the module comment. */
export class Server {
  readonly #services = new Map<string, Map<string, UnaryHandler>>();
  readonly #listeners = new Set<Listener>();
  readonly #connections = new Set<ServerConnection>();
  readonly #host: ConnectionHost;
  readonly #peerFaults: PeerFaultReporter | undefined;
  #connectionSeq = 0;
  #stopping = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: ServerOptions = {}) {
    const maxMessageBytes = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const onError = opts.onError;
    const services = this.#services;
    const onPeerFault = opts.onPeerFault;
    const peerFaults = onPeerFault && new PeerFaultReporter(onPeerFault, opts.peerFaultLimit);
    this.#peerFaults = peerFaults;
    this.#host = {
      maxMessageBytes,
      maxPendingWriteBytes: opts.maxPendingWriteBytes ?? 8 * maxMessageBytes,
      lookup(service: string, method: string): UnaryHandler | StatusError {
        const methods = services.get(service);
        if (methods === undefined) return new StatusError(Code.Unimplemented, `service ${service}`);
        return methods.get(method) ?? new StatusError(Code.Unimplemented, `method ${method}`);
      },
      reportError(err: unknown, where: string): void {
        if (onError === undefined) return;
        try {
          onError(err, where);
        } catch {
          // a failing error hook must not take the server down
        }
      },
      reportPeerFault(message: string, connection: number, closed: boolean): void {
        peerFaults?.report(message, connection, closed);
      },
      connectionClosed: (conn: ServerConnection): void => {
        this.#connections.delete(conn);
        this.#checkIdle();
      },
    };
  }

  /** Registers the methods of a service; a service name can be registered once. */
  register(service: string, methods: Record<string, UnaryHandler>): void {
    if (this.#services.has(service)) throw new Error(`ttrpc: service ${service} already registered`);
    this.#services.set(service, new Map(Object.entries(methods)));
  }

  /** Number of open connections (for diagnostics and leak checks). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Listens on a unix socket path (optional `unix://` prefix) or a Windows named pipe. */
  async listen(address: string): Promise<void> {
    if (this.#stopping) throw new StatusError(Code.Unavailable, "ttrpc: server closed");
    const ln = createServer({ allowHalfOpen: false });
    await listenAt(ln, address);
    this.serve(ln);
  }

  /**
   * Serves connections of an already-listening {@link Listener} (e.g. a `net.Server` bound to a socket
   * inherited as a file descriptor); it is closed by `shutdown`/`close` like the ones `listen` creates.
   */
  serve(ln: Listener): void {
    if (this.#listeners.has(ln)) return;
    if (this.#stopping) {
      ln.close();
      return;
    }
    this.#listeners.add(ln);
    ln.on("connection", (sock: Socket) => this.handleConnection(sock));
    ln.on("close", () => {
      this.#listeners.delete(ln);
      this.#checkIdle();
    });
    ln.on("error", (err: unknown) => this.#host.reportError(err, "listener"));
  }

  /** Serves an already-connected stream (e.g. a socket accepted elsewhere, or a test pair). */
  handleConnection(stream: Duplex): void {
    if (this.#stopping) {
      stream.destroy();
      return;
    }
    const conn = new ServerConnection(this.#host, stream, ++this.#connectionSeq);
    this.#connections.add(conn);
    if (stream.closed) this.#host.connectionClosed(conn);
  }

  /**
   * Graceful stop: resolves once listeners are closed and every connection has finished its calls and
   * closed. If `signal` aborts first, what remains is closed hard and the promise rejects with the
   * signal's reason.
   */
  shutdown(signal?: AbortSignal): Promise<void> {
    this.#stopping = true;
    for (const ln of this.#listeners) ln.close();
    for (const c of [...this.#connections]) c.drain();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        this.close();
        reject(signal?.reason);
      };
      const done = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#idleWaiters.push(done);
      this.#checkIdle();
    });
  }

  /** Hard stop: closes listeners and all connections now. */
  close(): void {
    this.#stopping = true;
    for (const ln of this.#listeners) ln.close();
    for (const c of [...this.#connections]) c.close();
    this.#peerFaults?.flush();
  }

  #isIdle(): boolean {
    return this.#connections.size === 0 && this.#listeners.size === 0;
  }

  #checkIdle(): void {
    if (!this.#stopping || !this.#isIdle()) return;
    // libuv releases a closed listener's handle in the close phase of the loop after `close` is
    // emitted; two check phases later it is gone, so callers can assert that nothing leaked.
    setImmediate(() =>
      setImmediate(() => {
        if (!this.#isIdle()) return;
        this.#peerFaults?.flush();
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) w();
      }),
    );
  }
}
