/**
 * containerd's Go ttrpc v1.1.1 client (the version containerd 1.6 links) against our Server. Where the
 * Go client can run the same scenario against Go's own server, the two results must be identical: Go
 * is the reference.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Code, Server } from "../../src/ttrpc/index.js";
import { type GoServer, liveGoPeers, runGoClient, startGoServer } from "./go-peer.js";
import { assertEchoed, type GoCall, type GoEcho, goClient, sha256, stable } from "./go-results.js";
import { goPeerSuite } from "./helpers.js";
import { MAX_MESSAGE, Probe, pattern, TEST_SERVICE, testServiceMethods } from "./test-service.js";

/** Our Server with the test service on `socket`, and the probe recording the calls it serves. */
async function serveTestService(socket: string): Promise<{ server: Server; probe: Probe }> {
  const probe = new Probe();
  const server = new Server();
  server.register(TEST_SERVICE, testServiceMethods(probe));
  await server.listen(`unix://${socket}`);
  return { server, probe };
}

describe("ttrpc interop with containerd's Go ttrpc v1.1.1", function () {
  this.timeout(120_000);
  const suite = goPeerSuite("ttrpc-go-");

  describe("Go client → our Server", () => {
    let server: Server;
    let probe: Probe;
    let ours: string;
    let reference: GoServer;

    before(async () => {
      ours = join(suite.dir, "ours.sock");
      ({ server, probe } = await serveTestService(ours));
      reference = await startGoServer(join(suite.dir, "go-reference.sock"));
    });

    after(async () => {
      server?.close();
      await reference?.stop();
    });

    it("unary: Echo of 0 B to 64 KiB returns the same bytes", async () => {
      const echoes = await goClient<GoEcho[]>(ours, "unary");
      assert.deepEqual(
        echoes.map((e) => e.sent),
        [0, 1, 64, 1000, 65536],
      );
      for (const e of echoes) assertEchoed(e, `${e.sent} B`);
    });

    it("metadata: ttrpc.MD reaches the handler in order, as Go's server sees it", async () => {
      type Result = { viaMD: GoCall; none: GoCall };
      const [got, want] = await Promise.all([
        goClient<Result>(ours, "metadata"),
        goClient<Result>(reference.socket, "metadata"),
      ]);
      assert.deepEqual(JSON.parse(got.viaMD.reply ?? "null"), {
        "containerd-namespace-ttrpc": ["default"],
        "x-empty": [""],
        "x-mixed-case": ["v"],
        "x-multi": ["1", "2", "3"],
        "x-unicode": ["żółw ✓"],
      });
      assert.deepEqual(JSON.parse(got.viaMD.reply ?? "null"), JSON.parse(want.viaMD.reply ?? "null"));
      assert.equal(got.none.reply, "{}");
      const seen = await probe.waitFor((c) => c.method === "EchoMetadata" && c.metadata.length > 0);
      assert.deepEqual(
        seen.metadata.filter(([k]) => k === "x-multi"),
        [
          ["x-multi", "1"],
          ["x-multi", "2"],
          ["x-multi", "3"],
        ],
      );
    });

    it("errors: every code, message, errdefs class and Unimplemented exactly as Go's server", async () => {
      type Result = Record<string, GoCall>;
      const [got, want] = await Promise.all([
        goClient<Result>(ours, "errors"),
        goClient<Result>(reference.socket, "errors"),
      ]);
      assert.equal(got["5"]?.code, Code.NotFound);
      assert.equal(got["5"]?.message, "failure 5: ünïcode ✓");
      assert.equal(got["plain"]?.code, Code.Unknown);
      assert.equal(got["plain"]?.message, "plain failure");
      assert.equal(got["errdefsNotFound"]?.containerdClass, "NotFound");
      assert.equal(got["errdefsNotFound"]?.containerdText, "thing abc: not found");
      assert.equal(got["unknownService"]?.code, Code.Unimplemented);
      assert.equal(
        got["unknownService"]?.errText,
        "rpc error: code = Unimplemented desc = service ttrpc.interop.v1.Nope",
      );
      assert.equal(got["unknownMethod"]?.errText, "rpc error: code = Unimplemented desc = method Nope");
      assertEchoed(got["afterErrors"] as GoEcho | undefined, "echo after errors");
      // Everything else, key by key, against the reference (clearer failures than one deepEqual).
      for (const key of Object.keys(want).sort()) {
        assert.deepEqual(stable(got[key]), stable(want[key]), `case ${key}`);
      }
    });

    it("deadlines: timeout_nano reaches ctx.deadline and is enforced by the server", async () => {
      type Result = {
        none: GoCall;
        five: GoCall;
        wire: GoCall;
        expired: GoCall;
        short: GoCall;
        shortEnd: GoCall;
        late: GoCall;
        lateEnd: GoCall;
        after: GoEcho;
      };
      const [got, want] = await Promise.all([
        goClient<Result>(ours, "deadline"),
        goClient<Result>(reference.socket, "deadline"),
      ]);
      assert.deepEqual(JSON.parse(got.none.reply ?? "null"), { hasDeadline: false, remainingMs: 0 });
      const five = JSON.parse(got.five.reply ?? "null") as { hasDeadline: boolean; remainingMs: number };
      assert.equal(five.hasDeadline, true);
      assert.ok(five.remainingMs > 0 && five.remainingMs <= 5000, `remaining ${five.remainingMs} ms`);
      // 300 ms on the wire, 60 s for the Go caller: only our server can have ended this call.
      assert.equal(got.wire.isStatus, true, got.wire.errText);
      assert.equal(got.wire.code, Code.DeadlineExceeded, got.wire.errText);
      assert.equal(got.wire.containerdClass, "DeadlineExceeded");
      const wire = await probe.waitFor((c) => c.tag === "wire");
      assert.ok(wire.deadlineInMs !== undefined && wire.deadlineInMs <= 300, `deadline ${wire.deadlineInMs}`);
      assert.equal(wire.aborted?.name, "TimeoutError");
      // A negative timeout_nano is already expired, as for Go's server.
      assert.equal(got.expired.code, Code.DeadlineExceeded, got.expired.errText);
      assert.deepEqual(stable(got.expired), stable(want.expired));
      // A Go caller's own short deadline (the same 300 ms in its context and on the wire), and the same
      // with the request read 150 ms late. Our server's deadline counts from when it read the request, so
      // it never comes before the caller's: the caller sees a deadline, its own context's or (at best a
      // tie) our status. The Go client holds the connection open (Watch) until the handler has ended, so
      // the handler is ended by its deadline (TimeoutError), never by the connection closing (AbortError,
      // what a client exiting before our deadline fired used to cause), exactly as Go's server does.
      for (const tag of ["short", "late"] as const) {
        const call = got[tag];
        assert.ok(
          call.ctxErr === true || (call.isStatus === true && call.code === Code.DeadlineExceeded),
          `${tag}: ${call.errText}`,
        );
        const end = got[`${tag}End`];
        assert.equal(end.ok, true, `${tag}: ${end.errText}`);
        assert.deepEqual(JSON.parse(end.reply ?? "null"), { tag, event: "ended", end: "deadline" });
        assert.deepEqual(stable(end), stable(want[`${tag}End`]), `${tag}: as Go's server`);
        assert.equal(probe.calls.find((c) => c.tag === tag)?.aborted?.name, "TimeoutError", tag);
      }
      assertEchoed(got.after, "echo after deadlines");
    });

    it("1 MiB payloads both ways", async () => {
      const got = await goClient<{ echo1MiB: GoEcho; big1MiB: GoCall }>(ours, "large");
      assert.equal(got.echo1MiB.sent, 1 << 20);
      assertEchoed(got.echo1MiB, "1 MiB echo");
      assert.equal(got.big1MiB.ok, true, got.big1MiB.errText);
      assert.equal(got.big1MiB.sha256, sha256(pattern(1 << 20)));
    });

    it("100 concurrent calls on one connection are all in flight at once, without listener warnings", async () => {
      // Handlers that watch ctx.signal (as Wait does) must not trip Node's MaxListenersExceededWarning.
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on("warning", onWarning);
      let got: { barrier: GoCall[]; echo: GoEcho[] };
      try {
        got = await goClient<{ barrier: GoCall[]; echo: GoEcho[] }>(ours, "concurrent");
        await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      } finally {
        process.off("warning", onWarning);
      }
      assert.deepEqual(warnings, []);
      assert.equal(got.barrier.length, 100);
      got.barrier.forEach((c, i) => {
        assert.equal(c.ok, true, `call ${i}: ${c.errText}`);
        assert.deepEqual(JSON.parse(c.reply ?? "null"), { tag: `call-${i}` });
      });
      assert.ok(probe.maxInFlight >= 100, `max in flight ${probe.maxInFlight}`);
      got.echo.forEach((e, i) => {
        assertEchoed(e, `echo ${i}`);
      });
    });

    it("oversized request: discarded, ResourceExhausted like Go, connection kept; 4 MiB exactly is fine", async () => {
      type Result = { request: GoCall; afterRequest: GoEcho; exactRequest: GoEcho; exactFrame: number };
      const [got, want] = await Promise.all([
        goClient<Result>(ours, "oversize-request"),
        goClient<Result>(reference.socket, "oversize-request"),
      ]);
      assert.equal(got.request.code, Code.ResourceExhausted, got.request.errText);
      assert.match(got.request.message ?? "", /^message length \d+ exceed maximum message size of 4194304$/);
      assert.deepEqual(stable(got.request), stable(want.request));
      assertEchoed(got.afterRequest, "echo after the oversized request");
      assert.equal(got.exactFrame, MAX_MESSAGE);
      assertEchoed(got.exactRequest, "request frame of exactly 4 MiB");
    });

    it("oversized response: answered with ResourceExhausted (a Go 1.1.1 client would panic on the frame)", async () => {
      const got = await goClient<{ response: GoCall; afterResponse: GoEcho }>(ours, "oversize-response");
      assert.equal(got.response.isStatus, true, got.response.errText);
      assert.equal(got.response.code, Code.ResourceExhausted, got.response.errText);
      assertEchoed(got.afterResponse, "echo after the oversized response");
    });

    it("client going away with a call in flight: the handler is aborted, the server serves on", async () => {
      const got = await goClient<{ call: GoCall; started: GoCall }>(ours, "abandon");
      assert.equal(got.started.ok, true, got.started.errText); // the client closed only once it was in flight
      assert.equal(got.call.closed, true, got.call.errText);
      const abandoned = await probe.waitForEnd((c) => c.tag === "abandoned");
      assert.equal(abandoned.end, "canceled");
      assert.equal(abandoned.aborted?.name, "AbortError");
      assertEchoed((await goClient<GoEcho[]>(ours, "unary"))[2], "echo on a new connection");
    });

    it("graceful shutdown with a call in flight: the call is answered, then the connection closes", async () => {
      const socket = join(suite.dir, "graceful.sock");
      const { server: graceful, probe: gracefulProbe } = await serveTestService(socket);
      try {
        const run = await runGoClient<{ inFlight: GoCall; closeSeen: boolean; later: GoCall }>(
          socket,
          "graceful",
        );
        await gracefulProbe.waitFor((c) => c.tag === "graceful");
        const stopped = graceful.shutdown();
        const got = await run.result;
        await stopped;
        assert.equal(got.inFlight.ok, true, got.inFlight.errText);
        assert.deepEqual(JSON.parse(got.inFlight.reply ?? "null"), { tag: "graceful" });
        assert.equal(got.closeSeen, true, "the Go client did not see the connection close within 10 s");
        assert.equal(got.later.closed, true, got.later.errText);
      } finally {
        graceful.close();
      }
    });

    it("server close with a call in flight: the Go client gets ttrpc: closed", async () => {
      const socket = join(suite.dir, "closing.sock");
      const { server: closing, probe: closingProbe } = await serveTestService(socket);
      try {
        const run = await runGoClient<GoCall>(socket, "closed");
        await closingProbe.waitFor((c) => c.tag === "closed");
        closing.close();
        const got = await run.result;
        assert.equal(got.closed, true, got.errText);
        assert.equal(got.errText, "ttrpc: closed");
        assert.equal(closingProbe.calls.find((c) => c.tag === "closed")?.aborted?.name, "AbortError");
      } finally {
        closing.close();
      }
    });
  });

  describe("cleanup", () => {
    it("leaves no Go process running", () => {
      assert.equal(liveGoPeers(), 0);
    });
  });
});
