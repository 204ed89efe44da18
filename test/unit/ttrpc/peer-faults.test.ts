// Peer faults (a client's garbage) against our own errors: what the server reports, how often, and how.
import assert from "node:assert/strict";
import { encodeRequestFrame } from "../../../src/ttrpc/envelope.js";
import { encodeFrame, MessageType } from "../../../src/ttrpc/frame.js";
import {
  Client,
  Code,
  DEFAULT_PEER_FAULT_LIMIT,
  type PeerFaultReport,
  Server,
  type ServerOptions,
  StatusError,
} from "../../../src/ttrpc/index.js";
import { RawPeer, socketPerTest } from "./helpers.js";

/** A frame header declaring 4 GiB - 1: not a ttrpc stream, the connection is closed at once. */
const NOT_TTRPC = Buffer.from("ffffffff000000010100", "hex");

describe("ttrpc Server peer faults", () => {
  let server: Server;
  let client: Client | undefined;
  const errors: [unknown, string][] = [];
  const reports: PeerFaultReport[] = [];
  const sock = socketPerTest(async () => {
    client?.close();
    client = undefined;
    await server.shutdown();
  });

  async function start(opts: ServerOptions = {}): Promise<void> {
    errors.length = 0;
    reports.length = 0;
    server = new Server({
      onError: (e, w) => errors.push([e, w]),
      onPeerFault: (r) => reports.push(r),
      ...opts,
    });
    server.register("s", {
      Echo: (b) => b,
      Crash: () => {
        throw new Error("boom");
      },
    });
    await server.listen(sock.path);
  }

  /** Opens `n` connections (`batch` at a time) that each send a header no ttrpc stream has. */
  async function garbageConnections(n: number, batch = 50): Promise<void> {
    for (let done = 0; done < n; done += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - done) }, async () => {
          const p = await RawPeer.connect(sock.path);
          p.write(NOT_TTRPC);
          await p.closed();
        }),
      );
    }
  }

  const faults = () => reports.filter((r) => r.kind === "fault");
  const suppressed = () => reports.filter((r) => r.kind === "suppressed");

  it("1000 garbage connections: at most the limit's reports, one line each with no stack, then one count", async function () {
    this.timeout(60_000);
    await start();
    await garbageConnections(1000);
    const limit = DEFAULT_PEER_FAULT_LIMIT.reports;
    assert.deepEqual(errors, [], "peer faults are not our errors: nothing reaches onError");
    assert.equal(faults().length, limit);
    for (const r of faults()) {
      assert.equal(typeof r.message, "string");
      assert.doesNotMatch(r.message, /\n|\bat .*:\d+:\d+/, "one line, no stack trace");
      assert.match(r.message, /not a ttrpc stream/);
      assert.equal(r.closed, true);
    }
    // the server still serves, and the suppressed count comes out at the latest when it stops
    client = await Client.connect(sock.path);
    assert.equal(Buffer.from(await client.call("s", "Echo", Buffer.from("ok"))).toString(), "ok");
    client.close();
    client = undefined;
    await server.shutdown();
    assert.deepEqual(suppressed(), [{ kind: "suppressed", count: 1000 - limit, windowMs: 60_000 }]);
    assert.ok(reports.length <= limit + 1);
  });

  it("reports the suppressed count when the window ends, then reports again", async () => {
    let wake: () => void = () => {};
    await start({
      peerFaultLimit: { reports: 2, windowMs: 300 },
      onPeerFault: (r) => {
        reports.push(r);
        if (r.kind === "suppressed") wake();
      },
    });
    const counted = new Promise<void>((r) => {
      wake = r;
    });
    await garbageConnections(5, 5);
    assert.equal(faults().length, 2);
    await counted; // the window's timer, not the shutdown, reports the 3 left out
    assert.deepEqual(suppressed(), [{ kind: "suppressed", count: 3, windowMs: 300 }]);
    await garbageConnections(1);
    assert.equal(faults().length, 3, "a new window reports again");
  });

  it("reports a connection's first bad frame once, answers every one, and keeps the connection", async () => {
    await start();
    const peer = await RawPeer.connect(sock.path);
    try {
      peer.write(encodeRequestFrame(2, "s", "Echo", Buffer.alloc(0), 0n, [])); // even id
      peer.write(encodeFrame(3, MessageType.Request, 0, Buffer.from([0x0a, 0x10, 0x41]))); // bad envelope
      peer.write(encodeFrame(9, MessageType.Data, 0, Buffer.from("x"))); // data, no such call
      for (const id of [2, 3, 9]) assert.equal((await peer.next())?.streamId, id);
      peer.write(encodeRequestFrame(11, "s", "Echo", Buffer.from("still"), 0n, []));
      assert.equal((await peer.next())?.streamId, 11);
      assert.equal(faults().length, 1);
      assert.match(String((faults()[0] as { message: string }).message), /^stream 2: StreamID must be odd/);
      assert.equal(faults()[0]?.kind === "fault" && faults()[0]?.closed, false);
      assert.deepEqual(errors, []);
    } finally {
      peer.destroy();
    }
  });

  it("a handler throwing a plain Error answers Unknown and reaches onError with its stack, not onPeerFault", async () => {
    await start();
    client = await Client.connect(sock.path);
    await assert.rejects(
      client.call("s", "Crash", new Uint8Array(0)),
      (e: StatusError) => e instanceof StatusError && e.code === Code.Unknown && e.message === "boom",
    );
    assert.equal(errors.length, 1);
    const [err, where] = errors[0]!;
    assert.equal(where, "handler s/Crash");
    assert.ok(err instanceof Error);
    assert.match(String(err.stack), /boom\n\s+at /, "our bug keeps its stack");
    assert.deepEqual(reports, []);
  });
});
