/**
 * Our Client against containerd's Go ttrpc v1.1.1 server (the version containerd 1.6 links).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Client, Code, Metadata } from "../../src/ttrpc/index.js";
import { liveGoPeers, startGoServer } from "./go-peer.js";
import { json, parse, rejection, sha256 } from "./go-results.js";
import { goPeerSuite, goServerWithClient } from "./helpers.js";
import { MAX_MESSAGE, pattern, TEST_SERVICE } from "./test-service.js";

describe("ttrpc interop with containerd's Go ttrpc v1.1.1", function () {
  this.timeout(120_000);
  const suite = goPeerSuite("ttrpc-go-");

  describe("our Client → Go server", () => {
    const peer = goServerWithClient(suite, "go.sock");

    const call = (method: string, req: Uint8Array, opts?: Parameters<Client["call"]>[3]) =>
      peer.client.call(TEST_SERVICE, method, req, opts);

    it("unary: Echo of 0 B to 64 KiB returns the same bytes", async () => {
      for (const n of [0, 1, 64, 1000, 65536]) {
        const sent = randomBytes(n);
        const got = await call("Echo", sent);
        assert.equal(sha256(got), sha256(sent), `${n} B`);
      }
    });

    it("metadata: Metadata and pairs arrive as Go's ttrpc.MD", async () => {
      const md = new Metadata();
      md.set("containerd-namespace-ttrpc", "default");
      md.set("X-Mixed-Case", "v");
      md.append("x-multi", "1");
      md.append("x-multi", "2");
      md.append("X-Multi", "3");
      md.set("x-unicode", "żółw ✓");
      md.set("x-empty", "");
      assert.deepEqual(parse(await call("EchoMetadata", new Uint8Array(), { metadata: md })), {
        "containerd-namespace-ttrpc": ["default"],
        "x-empty": [""],
        "x-mixed-case": ["v"],
        "x-multi": ["1", "2", "3"],
        "x-unicode": ["żółw ✓"],
      });
      const pairs: [string, string][] = [
        ["a", "1"],
        ["b", "2"],
        ["a", "3"],
      ];
      assert.deepEqual(parse(await call("EchoMetadata", new Uint8Array(), { metadata: pairs })), {
        a: ["1", "3"],
        b: ["2"],
      });
      assert.deepEqual(parse(await call("EchoMetadata", new Uint8Array())), {});
    });

    it("errors: Go's codes and messages arrive unchanged, Unimplemented for unknown names", async () => {
      for (let code = 1; code <= 16; code++) {
        const message = `failure ${code}: ünïcode ✓`;
        const err = await rejection(call("Fail", json({ code, message })));
        assert.equal(err.code, code);
        assert.equal(err.message, message);
      }
      const plain = await rejection(call("Fail", json({ plain: true, message: "plain failure" })));
      assert.deepEqual([plain.code, plain.message], [Code.Unknown, "plain failure"]);
      const nf = await rejection(call("Fail", json({ errdefs: "NotFound", message: "thing abc" })));
      assert.deepEqual([nf.code, nf.message], [Code.NotFound, "thing abc: not found"]);
      const svc = await rejection(peer.client.call("ttrpc.interop.v1.Nope", "Echo", new Uint8Array()));
      assert.deepEqual([svc.code, svc.message], [Code.Unimplemented, "service ttrpc.interop.v1.Nope"]);
      const method = await rejection(call("Nope", new Uint8Array()));
      assert.deepEqual([method.code, method.message], [Code.Unimplemented, "method Nope"]);
      assert.equal(sha256(await call("Echo", json("after"))), sha256(json("after")));
    });

    it("deadlines: timeoutMs travels as timeout_nano; Go's handler ends by it; DeadlineExceeded", async () => {
      assert.deepEqual(parse(await call("Deadline", new Uint8Array())), {
        hasDeadline: false,
        remainingMs: 0,
      });
      const five = parse(await call("Deadline", new Uint8Array(), { timeoutMs: 5000 })) as {
        hasDeadline: boolean;
        remainingMs: number;
      };
      assert.equal(five.hasDeadline, true);
      assert.ok(five.remainingMs > 0 && five.remainingMs <= 5000, `remaining ${five.remainingMs} ms`);
      // Go's deadline counts from when it read the request, so our own timer (same 300 ms, started
      // before sending) usually ends the call first, with the same code: the code alone cannot say whose
      // deadline it was. Watch (the connection still open) says how Go's handler ended: by its deadline.
      const slow = await rejection(call("Sleep", json({ ms: 30_000, tag: "slow" }), { timeoutMs: 300 }));
      assert.equal(slow.code, Code.DeadlineExceeded);
      assert.deepEqual(parse(await call("Watch", json({ tag: "slow", event: "ended" }))), {
        tag: "slow",
        event: "ended",
        end: "deadline",
      });
      assert.equal(sha256(await call("Echo", json("after"))), sha256(json("after")));
    });

    it("1 MiB payloads both ways", async () => {
      const sent = randomBytes(1 << 20);
      assert.equal(sha256(await call("Echo", sent)), sha256(sent));
      assert.equal(sha256(await call("Big", json({ size: 1 << 20 }))), sha256(pattern(1 << 20)));
    });

    it("100 concurrent calls on one connection are all in flight at once", async () => {
      const tags = Array.from({ length: 100 }, (_, i) => `call-${i}`);
      const replies = await Promise.all(
        tags.map((tag) => call("Barrier", json({ group: "ours-100", n: 100, tag }), { timeoutMs: 60_000 })),
      );
      assert.deepEqual(
        replies.map((r) => parse(r)),
        tags.map((tag) => ({ tag })),
      );
      const payloads = tags.map((_, i) => randomBytes(100 + i * 37));
      const echoes = await Promise.all(payloads.map((p) => call("Echo", p)));
      echoes.forEach((e, i) => {
        assert.equal(sha256(e), sha256(payloads[i]!), `echo ${i}`);
      });
    });

    it("oversized request: refused locally with ResourceExhausted, connection kept; 4 MiB frame is fine", async () => {
      const err = await rejection(call("Echo", new Uint8Array(MAX_MESSAGE + 1)));
      assert.equal(err.code, Code.ResourceExhausted);
      // Request = service (2+21) + method (2+4) + payload (1+4+n): a frame of exactly 4 MiB.
      const exact = randomBytes(MAX_MESSAGE - 34);
      assert.equal(sha256(await call("Echo", exact)), sha256(exact));
      assert.equal(peer.go.stderr(), "", "the Go server logged an error");
    });

    it("oversized response from Go: ResourceExhausted like Go's client would say, connection kept", async () => {
      const n = MAX_MESSAGE + 1;
      const err = await rejection(call("Big", json({ size: n })));
      assert.equal(err.code, Code.ResourceExhausted);
      // Response = payload (1+4+n) only: ttrpc v1.1.1 leaves an OK status out (newer Go sends `0a 00`).
      assert.equal(err.message, `message length ${n + 5} exceed maximum message size of ${MAX_MESSAGE}`);
      assert.equal(sha256(await call("Echo", json("after"))), sha256(json("after")));
      const exact = MAX_MESSAGE - 5;
      assert.equal(sha256(await call("Big", json({ size: exact }))), sha256(pattern(exact)));
    });

    it("Go server killed with a call in flight: Unavailable ttrpc: closed, and closed resolves", async () => {
      const doomed = await startGoServer(join(suite.dir, "doomed.sock"));
      const c = await Client.connect(`unix://${doomed.socket}`);
      try {
        const pending = rejection(c.call(TEST_SERVICE, "Sleep", json({ ms: 30_000, tag: "doomed" })));
        // the Go server says when its handler has started: only then is the call in flight there
        await c.call(TEST_SERVICE, "Watch", json({ tag: "doomed", event: "started" }));
        doomed.process.kill("SIGKILL");
        const err = await pending;
        assert.deepEqual([err.code, err.message], [Code.Unavailable, "ttrpc: closed"]);
        await c.closed;
        const after = await rejection(c.call(TEST_SERVICE, "Echo", new Uint8Array()));
        assert.equal(after.code, Code.Unavailable);
      } finally {
        c.close();
        await doomed.stop();
      }
    });
  });

  describe("cleanup", () => {
    it("leaves no Go process running", () => {
      assert.equal(liveGoPeers(), 0);
    });
  });
});
