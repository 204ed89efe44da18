import assert from "node:assert/strict";
import { NotFoundError } from "../../../src/errdefs.js";
import { Code, StatusError, toStatus } from "../../../src/ttrpc/status.js";

describe("ttrpc status", () => {
  it("toStatus keeps the code and message of a StatusError subclass", () => {
    assert.deepEqual(toStatus(new NotFoundError("process abc")), {
      code: Code.NotFound,
      message: "process abc: not found",
    });
  });

  it("toStatus maps a plain Error to Unknown with its message", () => {
    assert.deepEqual(toStatus(new Error("boom")), { code: Code.Unknown, message: "boom" });
  });

  it("toStatus maps aborts and timeouts to Canceled and DeadlineExceeded", () => {
    assert.equal(toStatus(AbortSignal.abort().reason).code, Code.Canceled);
    assert.equal(toStatus(new DOMException("t", "TimeoutError")).code, Code.DeadlineExceeded);
  });

  it("StatusError.from wraps a non-error value as Unknown", () => {
    const e = StatusError.from("text");
    assert.equal(e.code, Code.Unknown);
    assert.equal(e.message, "text");
  });
});
