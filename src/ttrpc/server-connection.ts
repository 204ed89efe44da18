/**
 * One accepted ttrpc connection on the server side: decode frames, dispatch unary requests
 * concurrently, write replies through one batching writer, and end cleanly.
 *
 * Protocol rules follow Go's ttrpc server (spec §5, §9, §10): every problem with a single frame is
 * answered on that frame's stream id and the connection stays open (an oversized frame is skipped and
 * answered ResourceExhausted). The connection ends with the transport, on a stream that is not ttrpc
 * at all (a header declaring 16 MiB or more, see `MAX_DISCARD_BYTES`), or for a peer that stops
 * reading (below). Backpressure policy: when the socket's write buffer passes
 * its high-water mark we stop reading requests until it drains, so a peer that does not read cannot
 * make us buffer more than the replies of requests already read; if even that exceeds
 * `maxPendingWriteBytes` the connection is closed.
 *
 * What the peer does wrong (all of the above but the transport ending) is a peer fault: reported once per
 * connection as one line through `reportPeerFault`, never as an error with a stack (`reportError` is for
 * our own bugs: a handler throwing a non-status error, a reply we cannot encode).
 */
import { setMaxListeners } from "node:events";
import type { Duplex } from "node:stream";
import { type CallContext, RequestContext, type UnaryHandler } from "./call-context.js";
import { decodeRequest, encodeResponseFrame } from "./envelope.js";
import { type Frame, FrameDecoder, FrameError, MessageType, oversizeMessage } from "./frame.js";
import { FrameWriter } from "./frame-writer.js";
import { Code, StatusError, toStatus } from "./status.js";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly maxMessageBytes: number;
  readonly maxPendingWriteBytes: number;
  /** The handler for service/method, or the Unimplemented status to answer with. */
  lookup(service: string, method: string): UnaryHandler | StatusError;
  reportError(err: unknown, where: string): void;
  /** A peer fault, one line (the host rate-limits them); `closed`: the connection ends for it. */
  reportPeerFault(message: string, connection: number, closed: boolean): void;
  connectionClosed(conn: ServerConnection): void;
}

const EMPTY = new Uint8Array(0);
/** Protobuf overhead of a Response around the payload, bounded (status + tags + lengths). */
const RESPONSE_OVERHEAD_BYTES = 16;

function isQuietError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE";
}

/** @internal See the module comment. */
export class ServerConnection {
  readonly #host: ConnectionHost;
  readonly #stream: Duplex;
  /** Sequence number on the server, for fault reports. */
  readonly #seq: number;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #abort = new AbortController();
  /** Stream ids of requests whose handlers have not finished (guarded by the event loop). */
  readonly #inflight = new Set<number>();
  #lastStreamId = 0;
  #draining = false;
  #closed = false;
  #paused = false;
  #faultReported = false;

  constructor(host: ConnectionHost, stream: Duplex, seq = 0) {
    this.#host = host;
    this.#stream = stream;
    this.#seq = seq;
    this.#decoder = new FrameDecoder(host.maxMessageBytes);
    this.#writer = new FrameWriter(stream);
    // Every in-flight call may listen on the connection's signal (a shim holds Wait calls for hours):
    // any number of listeners is expected, not a leak.
    setMaxListeners(0, this.#abort.signal);
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("end", () => this.close());
    stream.on("close", () => {
      this.close();
      host.connectionClosed(this);
    });
    stream.on("error", (err: unknown) => {
      if (!isQuietError(err)) host.reportError(err, "connection");
      this.close();
    });
    stream.on("drain", () => this.#resume());
  }

  /** Number of calls whose handlers are running. */
  get active(): number {
    return this.#inflight.size;
  }

  /** Closes now if idle, otherwise as soon as the last in-flight call has been answered. */
  drain(): void {
    this.#draining = true;
    if (this.#inflight.size === 0) this.#closeGracefully();
  }

  /** Hard close: abort in-flight handlers and destroy the transport (the host hears of it on "close"). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new DOMException("ttrpc: connection closed", "AbortError"));
    this.#stream.destroy();
  }

  #closeGracefully(): void {
    if (this.#closed) return;
    const s = this.#stream;
    if (s.writableLength === 0 || s.destroyed) {
      this.close();
      return;
    }
    s.pause();
    s.end(() => this.close());
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      const frames = this.#decoder.write(chunk);
      for (let i = 0; i < frames.length && !this.#closed; i++) this.#onFrame(frames[i]!);
    } catch (err: unknown) {
      this.#fail(err); // FrameError (garbage) or a bug: nothing after it can be trusted
    }
  }

  /** A garbage stream (FrameError: the peer's fault) or an internal error: it costs this connection only. */
  #fail(err: unknown): void {
    if (err instanceof FrameError) this.#peerFault(err.message, true);
    else this.#host.reportError(err, "connection");
    this.close();
  }

  /** Reports the connection's first peer fault (later ones add nothing an operator needs). */
  #peerFault(message: string, closing: boolean): void {
    if (this.#faultReported) return;
    this.#faultReported = true;
    this.#host.reportPeerFault(message, this.#seq, closing);
  }

  /** Answers a frame the peer got wrong, and reports the fault. */
  #refuse(id: number, code: Code, message: string): void {
    this.#peerFault(`stream ${id}: ${message}`, false);
    this.#reply(id, code, message, EMPTY);
  }

  #onFrame(f: Frame): void {
    const id = f.streamId;
    if (f.payload === undefined) {
      this.#refuse(id, Code.ResourceExhausted, oversizeMessage(f.length, this.#host.maxMessageBytes));
      return;
    }
    if (f.type === MessageType.Request) {
      if (id % 2 !== 1) {
        this.#refuse(id, Code.InvalidArgument, "StreamID must be odd for client initiated streams");
      } else if (id <= this.#lastStreamId) {
        this.#refuse(id, Code.InvalidArgument, "StreamID cannot be re-used and must increment");
      } else {
        this.#lastStreamId = id;
        this.#onRequest(id, f.payload);
      }
    } else if (f.type === MessageType.Data) {
      // Only unary calls exist here: data for a running call is ignored, any other is refused.
      if (id % 2 !== 1) {
        this.#refuse(id, Code.InvalidArgument, "StreamID must be odd for client initiated streams");
      } else if (!this.#inflight.has(id)) {
        this.#refuse(id, Code.InvalidArgument, "StreamID is no longer active");
      }
    }
    // Other types (including Response) are ignored for forward compatibility.
  }

  #onRequest(id: number, payload: Buffer): void {
    let req: ReturnType<typeof decodeRequest>;
    try {
      req = decodeRequest(payload);
    } catch (err: unknown) {
      this.#refuse(id, Code.InvalidArgument, `unmarshal request error: ${(err as Error).message}`);
      return;
    }
    const handler = this.#host.lookup(req.service, req.method);
    if (handler instanceof StatusError) {
      this.#reply(id, handler.code, handler.message, EMPTY);
      return;
    }
    const ctx = new RequestContext(
      req.service,
      req.method,
      req.metadata,
      req.timeoutNano,
      this.#abort.signal,
    );
    this.#inflight.add(id);
    let result: Promise<Uint8Array> | Uint8Array;
    try {
      result = handler(req.payload, ctx);
    } catch (err: unknown) {
      this.#finish(id, ctx, undefined, err);
      return;
    }
    if (result instanceof Uint8Array) this.#finish(id, ctx, result, undefined);
    else
      Promise.resolve(result).then(
        (res) => this.#finish(id, ctx, res, undefined),
        (err: unknown) => this.#finish(id, ctx, undefined, err ?? new Error("handler rejected")),
      );
  }

  #finish(id: number, ctx: RequestContext, res: unknown, err: unknown): void {
    ctx.dispose();
    this.#inflight.delete(id);
    if (this.#closed) return;
    try {
      this.#respond(id, ctx, res, err);
    } catch (e: unknown) {
      this.#fail(e);
    }
  }

  #respond(id: number, ctx: RequestContext, res: unknown, err: unknown): void {
    if (err === undefined && res instanceof Uint8Array) {
      if (res.length + RESPONSE_OVERHEAD_BYTES > this.#host.maxMessageBytes) this.#replyOversized(id, res);
      else this.#reply(id, Code.OK, "", res);
    } else {
      if (err === undefined) err = new Error("ttrpc: handler returned no response");
      const st = toStatus(err);
      if (!(err instanceof StatusError)) this.#reportHandlerError(err, ctx);
      this.#reply(id, st.code, st.message, EMPTY);
    }
    if (this.#draining && this.#inflight.size === 0) this.#closeGracefully();
  }

  #replyOversized(id: number, res: Uint8Array): void {
    const frame = encodeResponseFrame(id, Code.OK, "", res);
    if (frame.length <= this.#host.maxMessageBytes) {
      this.#send(frame.head, frame.tail);
      return;
    }
    const msg = oversizeMessage(frame.length, this.#host.maxMessageBytes);
    this.#host.reportError(new StatusError(Code.ResourceExhausted, msg), "response");
    this.#reply(id, Code.ResourceExhausted, msg, EMPTY);
  }

  #reportHandlerError(err: unknown, ctx: CallContext): void {
    const name = (err as Error | null)?.name;
    if (name !== "AbortError" && name !== "TimeoutError") {
      this.#host.reportError(err, `handler ${ctx.service}/${ctx.method}`);
    }
  }

  #reply(id: number, code: number, message: string, payload: Uint8Array): void {
    const frame = encodeResponseFrame(id, code, message, payload);
    this.#send(frame.head, frame.tail);
  }

  #send(head: Buffer, tail: Uint8Array | undefined): void {
    if (this.#closed) return;
    if (this.#writer.write(head, tail)) return;
    if (this.#writer.pendingBytes > this.#host.maxPendingWriteBytes) {
      this.#peerFault("ttrpc: peer is not reading; closing connection", true);
      this.close();
      return;
    }
    if (!this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
  }

  #resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    if (!this.#draining) this.#stream.resume();
  }
}
