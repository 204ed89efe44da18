// Client behaviour against our server and against a scripted raw server.
import assert from "node:assert/strict";
import {
  decodeRequest,
  decodeResponse,
  encodeRequestFrame,
  encodeResponseFrame,
} from "../../../src/ttrpc/envelope.js";
import { encodeFrame, type Frame, MessageType } from "../../../src/ttrpc/frame.js";
import { Client, Code, Metadata, Server, StatusError } from "../../../src/ttrpc/index.js";
import { leakCheck, RawPeer, RawServer, socketPerTest } from "./helpers.js";

function reply(id: number, payload: string, code = 0, message = ""): Buffer {
  const f = encodeResponseFrame(id, code, message, Buffer.from(payload));
  return Buffer.concat([f.head, f.tail ?? new Uint8Array(0)]);
}

function request(f: Frame | undefined): ReturnType<typeof decodeRequest> & { id: number } {
  assert.ok(f?.payload && f.type === MessageType.Request, "expected a request frame");
  return { ...decodeRequest(f.payload), id: f.streamId };
}

const isCode = (code: Code, message?: string) => (e: unknown) =>
  e instanceof StatusError && e.code === code && (message === undefined || e.message === message);

describe("ttrpc Client", () => {
  const sock = socketPerTest();

  describe("against a scripted server", () => {
    let raw: RawServer;
    let client: Client;

    beforeEach(async () => {
      raw = await RawServer.listen(sock.path);
      client = await Client.connect(sock.path);
    });

    afterEach(async () => {
      client.close();
      await client.closed;
      await raw.close();
    });

    it("uses stream ids 1, 3, 5 and matches replies in any order", async () => {
      const peer = await raw.accept();
      const calls = ["a", "b", "c"].map((m) => client.call("svc", m, Buffer.from(m)));
      const reqs = [request(await peer.next()), request(await peer.next()), request(await peer.next())];
      assert.deepEqual(
        reqs.map((r) => [r.id, r.service, r.method, r.payload.toString()]),
        [
          [1, "svc", "a", "a"],
          [3, "svc", "b", "b"],
          [5, "svc", "c", "c"],
        ],
      );
      peer.write(Buffer.concat([reply(5, "C"), reply(1, "A"), reply(3, "B")]));
      assert.deepEqual(
        (await Promise.all(calls)).map((r) => Buffer.from(r).toString()),
        ["A", "B", "C"],
      );
    });

    it("sends metadata in order with lower-cased keys, repeated keys as repeated entries", async () => {
      const peer = await raw.accept();
      const md = new Metadata([["X-One", "1"]]);
      md.append("x-two", "a");
      md.append("X-TWO", "b");
      const c1 = client.call("svc", "m", new Uint8Array(0), { metadata: md });
      const c2 = client.call("svc", "m", new Uint8Array(0), {
        metadata: [["Containerd-Namespace-Ttrpc", "default"]],
      });
      assert.deepEqual(request(await peer.next()).metadata, [
        ["x-one", "1"],
        ["x-two", "a"],
        ["x-two", "b"],
      ]);
      assert.deepEqual(request(await peer.next()).metadata, [["containerd-namespace-ttrpc", "default"]]);
      peer.write(Buffer.concat([reply(1, ""), reply(3, "")]));
      await Promise.all([c1, c2]);
    });

    it("turns a status into a StatusError", async () => {
      const peer = await raw.accept();
      const call = client.call("svc", "m", new Uint8Array(0));
      await peer.next();
      peer.write(reply(1, "", Code.NotFound, "process x: not found"));
      await assert.rejects(call, isCode(Code.NotFound, "process x: not found"));
    });

    it("sends timeout_nano and fails with DeadlineExceeded; a late reply is dropped", async () => {
      const peer = await raw.accept();
      const call = client.call("svc", "slow", new Uint8Array(0), { timeoutMs: 50 });
      const r = request(await peer.next());
      assert.ok(r.timeoutNano > 0n && r.timeoutNano <= 50_000_000n, `timeout_nano ${r.timeoutNano}`);
      await assert.rejects(call, isCode(Code.DeadlineExceeded));
      const next = client.call("svc", "fast", new Uint8Array(0));
      assert.equal(request(await peer.next()).id, 3);
      peer.write(Buffer.concat([reply(1, "late"), reply(3, "on time")]));
      assert.equal(Buffer.from(await next).toString(), "on time");
    });

    it("fails with Canceled when the signal aborts, and does not send for an aborted signal", async () => {
      const peer = await raw.accept();
      const ac = new AbortController();
      const call = client.call("svc", "m", new Uint8Array(0), { signal: ac.signal });
      assert.equal(request(await peer.next()).id, 1);
      ac.abort();
      await assert.rejects(call, isCode(Code.Canceled));
      await assert.rejects(
        client.call("svc", "m", new Uint8Array(0), { signal: ac.signal }),
        isCode(Code.Canceled),
      );
      const next = client.call("svc", "m", new Uint8Array(0));
      assert.equal(request(await peer.next()).id, 3);
      peer.write(reply(3, "ok"));
      await next;
    });

    it("fails every pending call with Unavailable 'ttrpc: closed' when the connection drops", async () => {
      const peer = await raw.accept();
      const calls = [1, 2, 3].map(() => client.call("svc", "m", new Uint8Array(0)));
      for (let i = 0; i < 3; i++) await peer.next();
      peer.destroy();
      for (const c of calls) await assert.rejects(c, isCode(Code.Unavailable, "ttrpc: closed"));
      await client.closed;
      await assert.rejects(
        client.call("svc", "m", new Uint8Array(0)),
        isCode(Code.Unavailable, "ttrpc: closed"),
      );
    });

    it("refuses to send a request over 4 MiB, without using a stream id", async () => {
      const peer = await raw.accept();
      await assert.rejects(
        client.call("svc", "m", new Uint8Array(4 << 20)),
        (e: StatusError) =>
          e.code === Code.ResourceExhausted && /exceed maximum message size of 4194304$/.test(e.message),
      );
      const next = client.call("svc", "m", new Uint8Array(0));
      assert.equal(request(await peer.next()).id, 1);
      peer.write(reply(1, ""));
      await next;
    });

    it("fails a call whose reply is oversized, ignores Data and unknown frames, and stays usable", async () => {
      const peer = await raw.accept();
      const big = client.call("svc", "big", new Uint8Array(0));
      await peer.next();
      const header = Buffer.alloc(10);
      header.writeUInt32BE((4 << 20) + 1, 0);
      header.writeUInt32BE(1, 4);
      header[8] = MessageType.Response;
      peer.write(Buffer.concat([header, Buffer.alloc((4 << 20) + 1)]));
      await assert.rejects(
        big,
        isCode(Code.ResourceExhausted, "message length 4194305 exceed maximum message size of 4194304"),
      );
      const next = client.call("svc", "m", new Uint8Array(0));
      await peer.next();
      peer.write(encodeFrame(3, MessageType.Data, 0, Buffer.from("data")));
      peer.write(encodeFrame(3, 0x77, 0, Buffer.from("future")));
      peer.write(reply(3, "fine"));
      assert.equal(Buffer.from(await next).toString(), "fine");
    });

    it("closes the connection when the server sends garbage", async () => {
      const peer = await raw.accept();
      const call = client.call("svc", "m", new Uint8Array(0));
      await peer.next();
      peer.write(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
      await assert.rejects(call, isCode(Code.Unavailable, "ttrpc: closed"));
      await client.closed;
    });

    it("fails a call whose reply does not decode with Internal", async () => {
      const peer = await raw.accept();
      const call = client.call("svc", "m", new Uint8Array(0));
      await peer.next();
      peer.write(encodeFrame(1, MessageType.Response, 0, Buffer.from([0x12, 0x05])));
      await assert.rejects(call, isCode(Code.Internal));
    });
  });

  it("handles deadlines beyond setTimeout's 24.8-day range on both sides", async () => {
    const server = new Server();
    const seen: boolean[] = [];
    server.register("svc", {
      Later: async (_b, ctx) => {
        const signal = ctx.signal; // arms the deadline timer
        await new Promise((r) => setTimeout(r, 20));
        seen.push(signal.aborted);
        return Buffer.from(String(ctx.deadline !== undefined && ctx.deadline > Date.now() + 2 ** 32));
      },
    });
    await server.listen(sock.path);
    const client = await Client.connect(sock.path);
    const out = await client.call("svc", "Later", new Uint8Array(0), { timeoutMs: 2 ** 33 });
    assert.equal(Buffer.from(out).toString(), "true");
    const peer = await RawPeer.connect(sock.path);
    peer.write(encodeRequestFrame(1, "svc", "Later", new Uint8Array(0), 2n ** 62n, []));
    assert.equal(decodeResponse((await peer.next())!.payload!).payload.toString(), "true");
    assert.deepEqual(seen, [false, false]);
    await assert.rejects(
      client.call("svc", "Later", new Uint8Array(0), { timeoutMs: Number.NaN }),
      isCode(Code.InvalidArgument),
    );
    peer.destroy();
    client.close();
    await server.shutdown();
  });

  it("connect fails with Unavailable when nothing listens, Canceled when aborted", async () => {
    await assert.rejects(Client.connect(sock.path), isCode(Code.Unavailable));
    await assert.rejects(Client.connect(sock.path, { signal: AbortSignal.abort() }), isCode(Code.Canceled));
  });

  it("round-trips metadata and deadline to the server's call context, and leaves no timers", async () => {
    const server = new Server();
    let seen: { md: string[]; deadline: number | undefined; aborted: string | undefined } | undefined;
    server.register("svc", {
      Inspect: async (_b, ctx) => {
        seen = { md: ctx.metadata.getAll("k"), deadline: ctx.deadline, aborted: undefined };
        return Buffer.from(JSON.stringify([...ctx.metadata]));
      },
      Expire: async (_b, ctx) => {
        if (!ctx.signal.aborted) await new Promise((r) => ctx.signal.addEventListener("abort", r));
        throw ctx.signal.reason;
      },
    });
    await server.listen(sock.path);
    const client = await Client.connect(sock.path);
    // About timers: on Windows libuv keeps a pending pipe instance per accept, so pipe handles come and go
    // with connections there and are not what this checks.
    const inner = leakCheck(process.platform === "win32" ? ["PipeWrap", "ConnectWrap"] : []);
    const before = Date.now();
    const out = await client.call("svc", "Inspect", new Uint8Array(0), {
      metadata: [
        ["K", "1"],
        ["k", "2"],
        ["other", "x"],
      ],
      timeoutMs: 60_000,
    });
    assert.deepEqual(JSON.parse(Buffer.from(out).toString()), [
      ["k", "1"],
      ["k", "2"],
      ["other", "x"],
    ]);
    assert.deepEqual(seen?.md, ["1", "2"]);
    assert.ok(
      seen?.deadline !== undefined &&
        seen.deadline >= before + 59_000 &&
        seen.deadline <= Date.now() + 60_000,
    );
    // the server-side deadline (from timeout_nano alone) aborts the handler's signal with a TimeoutError
    const peer = await RawPeer.connect(sock.path);
    peer.write(encodeRequestFrame(1, "svc", "Expire", new Uint8Array(0), 30_000_000n, []));
    peer.write(encodeRequestFrame(3, "svc", "Expire", new Uint8Array(0), -1n, []));
    for (const id of [3, 1]) {
      const f = await peer.next();
      assert.equal(f?.streamId, id);
      assert.deepEqual(decodeResponse(f.payload!), {
        code: Code.DeadlineExceeded,
        message: "context deadline exceeded",
        payload: Buffer.alloc(0),
      });
    }
    peer.destroy();
    await inner.check(); // no client or server timers left behind
    client.close();
    await server.shutdown();
  });
});
