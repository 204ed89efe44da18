/**
 * Reporting of peer faults: what a client did wrong (garbage instead of frames, bad stream ids, an
 * undecodable envelope, oversized frames, not reading its replies). They are the peer's fault, not a bug
 * of the server, so they are reported as one line of text (never an Error with a stack), at most once per
 * connection, and rate-limited across connections: a peer opening thousands of bad connections must not
 * turn into thousands of log lines. Bugs of the server (handlers throwing non-status errors, listener
 * errors) keep going to `onError` with their stack.
 */

/** What `onPeerFault` hears: the first fault of one connection, or how many were left out by the limit. */
export type PeerFaultReport =
  | {
      kind: "fault";
      /** One line saying what the peer did, e.g. "frame length 4294967295 on stream 1: not a ttrpc stream". */
      message: string;
      /** Sequence number of the connection on this server (1 for the first accepted). */
      connection: number;
      /** The connection was closed for it (otherwise the frame was answered and the connection kept). */
      closed: boolean;
    }
  | {
      kind: "suppressed";
      /** Faults not reported since the last report, over the limit. */
      count: number;
      /** The limit's window in ms. */
      windowMs: number;
    };

/** At most `reports` fault reports per `windowMs`; the rest are counted and reported as one number. */
export interface PeerFaultLimit {
  reports: number;
  windowMs: number;
}

/** Default: 10 fault lines a minute, then one "suppressed" line when the minute ends. */
export const DEFAULT_PEER_FAULT_LIMIT: PeerFaultLimit = { reports: 10, windowMs: 60_000 };

/**
 * Fixed-window limiter in front of the report hook. When faults are suppressed, a timer (unref'd: it never
 * keeps a process alive) reports their count at the end of the window; `flush` reports it at once.
 */
export class PeerFaultReporter {
  readonly #emit: (r: PeerFaultReport) => void;
  readonly #limit: PeerFaultLimit;
  #windowStart = Number.NEGATIVE_INFINITY;
  #reported = 0;
  #suppressed = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (r: PeerFaultReport) => void, limit: PeerFaultLimit = DEFAULT_PEER_FAULT_LIMIT) {
    if (!(limit.reports >= 0 && limit.windowMs > 0)) throw new RangeError("ttrpc: invalid peer fault limit");
    this.#emit = emit;
    this.#limit = limit;
  }

  report(message: string, connection: number, closed: boolean): void {
    const now = performance.now();
    if (now - this.#windowStart >= this.#limit.windowMs) {
      this.flush();
      this.#windowStart = now;
      this.#reported = 0;
    }
    if (this.#reported < this.#limit.reports) {
      this.#reported++;
      this.#send({ kind: "fault", message: oneLine(message), connection, closed });
      return;
    }
    this.#suppressed++;
    if (this.#timer === undefined) {
      const left = Math.max(0, this.#windowStart + this.#limit.windowMs - now);
      this.#timer = setTimeout(() => this.flush(), Math.ceil(left));
      this.#timer.unref();
    }
  }

  /** Reports the suppressed count now (if any) and clears the timer: at the window's end or on close. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#suppressed === 0) return;
    const count = this.#suppressed;
    this.#suppressed = 0;
    this.#send({ kind: "suppressed", count, windowMs: this.#limit.windowMs });
  }

  #send(r: PeerFaultReport): void {
    try {
      this.#emit(r);
    } catch {
      // a failing report hook must not take the server down
    }
  }
}

/** Longest fault message reported (peer-influenced text must not make long lines either). */
const MAX_MESSAGE_CHARS = 300;

/** Peer-influenced text (e.g. a method name in a message) must not forge extra log lines. */
function oneLine(s: string): string {
  const line = s.replace(/[\r\n]+/g, " ");
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
}
