import assert from "node:assert/strict";
import { defaultBinaryName, resolveBinary } from "../../../src/runhcs/binary.js";

describe("runhcs binary", () => {
  it("defaultBinaryName is runhcs.exe on Windows, runhcs elsewhere", () => {
    assert.equal(defaultBinaryName("windows"), "runhcs.exe");
    assert.equal(defaultBinaryName("posix"), "runhcs");
  });

  it("resolveBinary: option, then RUNHCS_BINARY, then the platform default", () => {
    const env = { RUNHCS_BINARY: "/opt/sim/runhcs" };
    assert.equal(resolveBinary({ binary: "/x/runhcs", env, platform: "posix" }), "/x/runhcs");
    assert.equal(resolveBinary({ env, platform: "windows" }), "/opt/sim/runhcs");
    assert.equal(resolveBinary({ env: {}, platform: "windows" }), "runhcs.exe");
    assert.equal(resolveBinary({ env: { RUNHCS_BINARY: "" }, platform: "posix" }), "runhcs");
  });
});
