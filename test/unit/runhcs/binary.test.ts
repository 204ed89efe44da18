import assert from "node:assert/strict";
import { defaultBinaryName, resolveBinary } from "../../../src/runhcs/binary.js";

describe("runhcs binary", () => {
  it("defaultBinaryName is runhcs.exe on Windows, runhcs elsewhere", () => {
    assert.equal(defaultBinaryName("win32"), "runhcs.exe");
    assert.equal(defaultBinaryName("linux"), "runhcs");
    assert.equal(defaultBinaryName("darwin"), "runhcs");
  });

  it("resolveBinary: option, then RUNHCS_BINARY, then the platform default", () => {
    const env = { RUNHCS_BINARY: "/opt/sim/runhcs" };
    assert.equal(resolveBinary({ binary: "/x/runhcs", env, platform: "linux" }), "/x/runhcs");
    assert.equal(resolveBinary({ env, platform: "win32" }), "/opt/sim/runhcs");
    assert.equal(resolveBinary({ env: {}, platform: "win32" }), "runhcs.exe");
    assert.equal(resolveBinary({ env: { RUNHCS_BINARY: "" }, platform: "linux" }), "runhcs");
  });
});
