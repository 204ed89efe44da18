// Server protocol behaviour, observed byte-exactly through a raw unix socket peer.
import assert from "node:assert/strict";
import { decodeResponse, encodeRequestFrame } from "../../../src/ttrpc/envelope.js";
import { encodeFrame, FRAME_HEADER_BYTES, type Frame, MessageType } from "../../../src/ttrpc/frame.js";
import { Client, Code, Server, StatusError } from "../../../src/ttrpc/index.js";
import { RawPeer, socketPerTest } from "./helpers.js";

function req(id: number, service: string, method: string, payload = Buffer.alloc(0)): Buffer {
  return encodeRequestFrame(id, service, method, payload, 0n, []);
}

function status(f: Frame | undefined): {
  id: number | undefined;
  code: number;
  message: string;
  payload: string;
} {
  assert.ok(f?.payload, "expected a response frame");
  assert.equal(f.type, MessageType.Response);
  const r = decodeResponse(f.payload);
  return { id: f.streamId, code: r.code, message: r.message, payload: r.payload.toString() };
}

describe("ttrpc Server protocol", () => {
  let server: Server;
  let peer: RawPeer;
  const errors: [unknown, string][] = [];
  const sock = socketPerTest(async () => {
    peer.destroy();
    await server.shutdown();
    assert.equal(server.connectionCount, 0);
  });

  beforeEach(async () => {
    errors.length = 0;
    server = new Server({ onError: (e, where) => errors.push([e, where]) });
    server.register("test.Echo", {
      Echo: (b) => b,
      Empty: () => new Uint8Array(0),
      Fail: () => {
        throw new StatusError(Code.NotFound, "thing x: not found");
      },
      Crash: async () => {
        throw new Error("boom");
      },
      Huge: () => new Uint8Array(5 << 20),
      Edge: () => new Uint8Array((4 << 20) - 10),
      Wrong: () => "not bytes" as unknown as Uint8Array,
      Slow: async (b, ctx) => {
        await new Promise((r) => setTimeout(r, Number(b.toString()) || 0));
        return Buffer.from(`${ctx.method}:${b.toString()}`);
      },
    });
    await server.listen(sock.path);
    peer = await RawPeer.connect(sock.path);
  });

  it("answers an OK call with Go's encoding: status `0a 00`, payload omitted when empty", async () => {
    peer.write(req(1, "test.Echo", "Empty"));
    const f = await peer.next();
    assert.equal(f?.payload?.toString("hex"), "0a00");
    assert.equal(f?.flags, 0);
    peer.write(req(3, "test.Echo", "Echo", Buffer.from("hi")));
    assert.deepEqual(status(await peer.next()), { id: 3, code: 0, message: "", payload: "hi" });
  });

  it("answers unknown service and method with Unimplemented", async () => {
    peer.write(req(1, "no.Such", "Echo"));
    peer.write(req(3, "test.Echo", "Nope"));
    assert.deepEqual(status(await peer.next()), {
      id: 1,
      code: Code.Unimplemented,
      message: "service no.Such",
      payload: "",
    });
    assert.deepEqual(status(await peer.next()), {
      id: 3,
      code: Code.Unimplemented,
      message: "method Nope",
      payload: "",
    });
  });

  it("maps handler errors through toStatus and reports non-status errors", async () => {
    peer.write(req(1, "test.Echo", "Fail"));
    peer.write(req(3, "test.Echo", "Crash"));
    assert.deepEqual(status(await peer.next()), {
      id: 1,
      code: Code.NotFound,
      message: "thing x: not found",
      payload: "",
    });
    assert.deepEqual(status(await peer.next()), { id: 3, code: Code.Unknown, message: "boom", payload: "" });
    assert.deepEqual(
      errors.map(([e, w]) => [(e as Error).message, w]),
      [["boom", "handler test.Echo/Crash"]],
    );
  });

  it("enforces stream id rules and keeps the connection open", async () => {
    peer.write(req(2, "test.Echo", "Echo"));
    assert.deepEqual(status(await peer.next()), {
      id: 2,
      code: Code.InvalidArgument,
      message: "StreamID must be odd for client initiated streams",
      payload: "",
    });
    peer.write(req(5, "test.Echo", "Echo", Buffer.from("a")));
    assert.equal(status(await peer.next()).payload, "a");
    peer.write(req(3, "test.Echo", "Echo"));
    peer.write(req(5, "test.Echo", "Echo"));
    for (const id of [3, 5]) {
      assert.deepEqual(status(await peer.next()), {
        id,
        code: Code.InvalidArgument,
        message: "StreamID cannot be re-used and must increment",
        payload: "",
      });
    }
    peer.write(req(7, "test.Echo", "Echo", Buffer.from("b")));
    assert.equal(status(await peer.next()).payload, "b");
  });

  it("answers an undecodable Request with InvalidArgument", async () => {
    peer.write(encodeFrame(1, MessageType.Request, 0, Buffer.from([0x0a, 0x10, 0x41])));
    const s = status(await peer.next());
    assert.equal(s.code, Code.InvalidArgument);
    assert.match(s.message, /^unmarshal request error: /);
    peer.write(req(3, "test.Echo", "Echo", Buffer.from("still here")));
    assert.equal(status(await peer.next()).payload, "still here");
  });

  it("ignores unknown frame types and Response frames; refuses Data for inactive streams", async () => {
    peer.write(encodeFrame(1, 0x09, 0, Buffer.from("whatever")));
    peer.write(encodeFrame(1, MessageType.Response, 0, Buffer.from("0a00", "hex")));
    peer.write(encodeFrame(9, MessageType.Data, 0x01, Buffer.from("x")));
    assert.deepEqual(status(await peer.next()), {
      id: 9,
      code: Code.InvalidArgument,
      message: "StreamID is no longer active",
      payload: "",
    });
    peer.write(req(11, "test.Echo", "Slow", Buffer.from("50")));
    peer.write(encodeFrame(11, MessageType.Data, 0, Buffer.from("ignored while active")));
    peer.write(req(13, "test.Echo", "Echo", Buffer.from("next")));
    assert.deepEqual(status(await peer.next()), { id: 13, code: 0, message: "", payload: "next" });
    assert.deepEqual(status(await peer.next()), { id: 11, code: 0, message: "", payload: "Slow:50" });
  });

  it("reads and discards an oversized frame, answers ResourceExhausted on its id, and keeps serving", async () => {
    const big = req(1, "test.Echo", "Echo", Buffer.alloc((4 << 20) + 1, 1));
    // sent in pieces, to exercise the discarding state across chunks
    for (let i = 0; i < big.length; i += 1 << 20) peer.write(big.subarray(i, i + (1 << 20)));
    const s = status(await peer.next());
    assert.equal(s.id, 1);
    assert.equal(s.code, Code.ResourceExhausted);
    assert.equal(
      s.message,
      `message length ${big.length - FRAME_HEADER_BYTES} exceed maximum message size of 4194304`,
    );
    peer.write(req(3, "test.Echo", "Echo", Buffer.from("ok")));
    assert.equal(status(await peer.next()).payload, "ok");
  });

  it("replies ResourceExhausted when a handler's response is over the limit, and keeps the connection", async () => {
    peer.write(req(1, "test.Echo", "Huge"));
    const s = status(await peer.next());
    assert.equal(s.code, Code.ResourceExhausted);
    assert.match(s.message, /^message length \d+ exceed maximum message size of 4194304$/);
    assert.equal(errors[0]?.[1], "response");
    peer.write(req(3, "test.Echo", "Echo", Buffer.from("ok")));
    assert.equal(status(await peer.next()).payload, "ok");
  });

  it("sends a reply whose payload is near the limit as long as the encoded Response fits", async () => {
    peer.write(req(1, "test.Echo", "Edge"));
    const f = await peer.next();
    assert.ok(f?.payload && f.payload.length <= 4 << 20);
    const r = decodeResponse(f.payload);
    assert.deepEqual({ code: r.code, len: r.payload.length }, { code: 0, len: (4 << 20) - 10 });
  });

  it("answers a handler that returns something other than bytes with Unknown", async () => {
    peer.write(req(1, "test.Echo", "Wrong"));
    assert.deepEqual(status(await peer.next()), {
      id: 1,
      code: Code.Unknown,
      message: "ttrpc: handler returned no response",
      payload: "",
    });
  });

  it("answers concurrent requests as they finish, not in arrival order", async () => {
    peer.write(
      Buffer.concat([
        req(1, "test.Echo", "Slow", Buffer.from("300")),
        req(3, "test.Echo", "Slow", Buffer.from("1")),
      ]),
    );
    assert.equal(status(await peer.next()).id, 3);
    assert.equal(status(await peer.next()).id, 1);
  });

  it("drops a connection that ends mid-frame quietly", async () => {
    const other = await RawPeer.connect(sock.path);
    other.write(req(1, "test.Echo", "Echo", Buffer.from("cut short")).subarray(0, 15));
    other.sock.end();
    await other.closed();
    peer.write(req(1, "test.Echo", "Echo", Buffer.from("fine")));
    assert.equal(status(await peer.next()).payload, "fine");
    assert.deepEqual(errors, []);
  });

  it("serves 100 concurrent calls on one connection from the client", async () => {
    const client = await Client.connect(sock.path);
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.call("test.Echo", "Slow", Buffer.from(String(100 - i)))),
    );
    assert.deepEqual(
      replies.map((r) => Buffer.from(r).toString()),
      Array.from({ length: 100 }, (_, i) => `Slow:${100 - i}`),
    );
    client.close();
    await client.closed;
  });
});
