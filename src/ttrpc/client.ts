/**
 * ttrpc client: unary calls multiplexed on one connection.
 *
 * Stream ids are 1, 3, 5, … and never reused; replies are matched by id in any order. ttrpc has no
 * cancel frame, so a call that times out or is aborted is simply forgotten and a late reply for its id
 * is dropped (as Go's client does). When the connection ends every pending call fails with
 * Unavailable "ttrpc: closed", which is how callers learn that the peer went away.
 */
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import { MAX_TIMER_MS } from "./call-context.js";
import { decodeResponse, encodeRequestFrame } from "./envelope.js";
import {
  FRAME_HEADER_BYTES,
  type Frame,
  FrameDecoder,
  MAX_MESSAGE_BYTES,
  MessageType,
  oversizeMessage,
} from "./frame.js";
import { FrameWriter } from "./frame-writer.js";
import { addressPath } from "./listen.js";
import { Metadata } from "./metadata.js";
import { Code, StatusError } from "./status.js";

/** Per-call options. */
export interface CallOptions {
  /** Request metadata; keys are lower-cased. */
  metadata?: Metadata | Iterable<readonly [string, string]>;
  /** Relative deadline: sent as `timeout_nano`, and the call fails with DeadlineExceeded when it passes. */
  timeoutMs?: number;
  /** Aborting fails the call with Canceled (nothing is sent to the server; ttrpc has no cancel). */
  signal?: AbortSignal;
}

const NO_METADATA: readonly (readonly [string, string])[] = [];

function closedError(): StatusError {
  return new StatusError(Code.Unavailable, "ttrpc: closed");
}

/** One outstanding call; also the abort listener and the timer target, so calls need no closures. */
class PendingCall {
  readonly client: Client;
  readonly id: number;
  resolve!: (payload: Uint8Array) => void;
  reject!: (err: StatusError) => void;
  timer: NodeJS.Timeout | undefined;
  deadline = 0;
  signal: AbortSignal | undefined;

  constructor(client: Client, id: number) {
    this.client = client;
    this.id = id;
  }

  handleEvent(): void {
    Client.settle(this.client, this.id, undefined, new StatusError(Code.Canceled, "context canceled"));
  }

  cleanup(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this);
  }
}

function armTimer(call: PendingCall): void {
  call.timer = setTimeout(
    onTimeout,
    Math.min(Math.max(0, Math.ceil(call.deadline - Date.now())), MAX_TIMER_MS),
    call,
  );
}

function onTimeout(call: PendingCall): void {
  call.timer = undefined;
  if (Date.now() < call.deadline) {
    armTimer(call); // deadlines beyond setTimeout's range
    return;
  }
  Client.settle(
    call.client,
    call.id,
    undefined,
    new StatusError(Code.DeadlineExceeded, "context deadline exceeded"),
  );
}

/** A ttrpc client over a connected stream; see the module comment. */
export class Client {
  readonly #stream: Duplex;
  readonly #decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
  readonly #writer: FrameWriter;
  /** Calls awaiting a reply, by stream id (guarded by the event loop). */
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #isClosed = false;
  readonly #closed: Promise<void>;
  #onClosed!: () => void;

  /** Dials a unix socket path (optional `unix://` prefix) or a Windows named pipe. */
  static connect(address: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const { signal, timeoutMs } = opts;
      if (signal?.aborted) {
        reject(new StatusError(Code.Canceled, "ttrpc: dial canceled", { cause: signal.reason }));
        return;
      }
      const sock = createConnection({ path: addressPath(address) });
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: StatusError | undefined): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        sock.off("connect", onConnect);
        sock.off("error", onError);
        if (err === undefined) resolve(new Client(sock));
        else {
          sock.destroy();
          reject(err);
        }
      };
      const onConnect = (): void => finish(undefined);
      const onError = (err: Error): void =>
        finish(new StatusError(Code.Unavailable, `ttrpc: dial ${address}: ${err.message}`, { cause: err }));
      const onAbort = (): void =>
        finish(new StatusError(Code.Canceled, "ttrpc: dial canceled", { cause: signal?.reason }));
      sock.once("connect", onConnect);
      sock.once("error", onError);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () => finish(new StatusError(Code.DeadlineExceeded, `ttrpc: dial ${address}: timeout`)),
          timeoutMs,
        );
      }
    });
  }

  constructor(stream: Duplex) {
    this.#stream = stream;
    this.#writer = new FrameWriter(stream);
    this.#closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("end", () => this.close());
    stream.on("close", () => {
      this.close();
      this.#onClosed();
    });
    stream.on("error", () => this.close());
    if (stream.destroyed) this.close();
    if (stream.closed) this.#onClosed();
  }

  /** Settles once the transport has closed (never rejects). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Calls service/method with serialized request bytes; resolves with the serialized reply. */
  call(service: string, method: string, request: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    if (this.#isClosed) return Promise.reject(closedError());
    const { signal, timeoutMs } = opts;
    if (signal?.aborted) return Promise.reject(new StatusError(Code.Canceled, "context canceled"));
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      if (Number.isNaN(timeoutMs))
        return Promise.reject(new StatusError(Code.InvalidArgument, "ttrpc: timeoutMs is NaN"));
      return Promise.reject(new StatusError(Code.DeadlineExceeded, "context deadline exceeded"));
    }
    const finite = timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY;
    const id = this.#nextId;
    // timeout_nano is an int64: clamp absurdly long timeouts instead of failing to encode them
    const timeoutNano = finite ? BigInt(Math.max(1, Math.round(Math.min(timeoutMs, 9.2e12) * 1e6))) : 0n;
    const md = opts.metadata;
    let frame: Buffer;
    try {
      const pairs = md === undefined ? NO_METADATA : md instanceof Metadata ? md : new Metadata(md);
      frame = encodeRequestFrame(id, service, method, request, timeoutNano, pairs);
    } catch (err: unknown) {
      return Promise.reject(
        new StatusError(Code.InvalidArgument, `ttrpc: cannot encode request: ${err}`, { cause: err }),
      );
    }
    const length = frame.length - FRAME_HEADER_BYTES;
    if (length > MAX_MESSAGE_BYTES) {
      return Promise.reject(new StatusError(Code.ResourceExhausted, oversizeMessage(length)));
    }
    this.#nextId += 2;
    const call = new PendingCall(this, id);
    const promise = new Promise<Uint8Array>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    if (finite) {
      call.deadline = Date.now() + timeoutMs;
      armTimer(call);
    }
    if (signal !== undefined) {
      call.signal = signal;
      signal.addEventListener("abort", call);
    }
    this.#pending.set(id, call);
    this.#writer.write(frame);
    return promise;
  }

  /** Closes the connection; pending calls fail with Unavailable "ttrpc: closed". */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#stream.destroy();
    const calls = [...this.#pending.values()];
    this.#pending.clear();
    for (const c of calls) {
      c.cleanup();
      c.reject(closedError());
    }
  }

  /** @internal Completes call `id` once; later outcomes for it are ignored. */
  static settle(
    client: Client,
    id: number,
    payload: Uint8Array | undefined,
    err: StatusError | undefined,
  ): void {
    const call = client.#pending.get(id);
    if (call === undefined) return;
    client.#pending.delete(id);
    call.cleanup();
    if (err !== undefined) call.reject(err);
    else call.resolve(payload!);
  }

  #onData(chunk: Buffer): void {
    if (this.#isClosed) return;
    try {
      for (const f of this.#decoder.write(chunk)) this.#onFrame(f);
    } catch {
      this.close(); // garbage (FrameError) or an internal error: fail this connection's calls only
    }
  }

  #onFrame(f: Frame): void {
    if (f.type !== MessageType.Response && f.payload !== undefined) return; // data / unknown types: ignored
    if (!this.#pending.has(f.streamId)) return; // late reply for an abandoned call
    if (f.payload === undefined) {
      Client.settle(
        this,
        f.streamId,
        undefined,
        new StatusError(Code.ResourceExhausted, oversizeMessage(f.length)),
      );
      return;
    }
    let res: ReturnType<typeof decodeResponse>;
    try {
      res = decodeResponse(f.payload);
    } catch (err: unknown) {
      const msg = `ttrpc: invalid response: ${(err as Error).message}`;
      Client.settle(this, f.streamId, undefined, new StatusError(Code.Internal, msg, { cause: err }));
      return;
    }
    if (res.code !== Code.OK)
      Client.settle(this, f.streamId, undefined, new StatusError(res.code, res.message));
    else Client.settle(this, f.streamId, res.payload, undefined);
  }
}
