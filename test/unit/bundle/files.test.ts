import assert from "node:assert/strict";
import { isExecPidFile, isShimFile } from "../../../src/bundle/files.js";

describe("bundle files", () => {
  it("isShimFile → only the shim's own names", () => {
    for (const n of [
      "address",
      "shim.pid",
      "runhcs-pidfile.pid",
      "exec-a-process.json",
      "runhcs-exec-a-pidfile.pid",
    ])
      assert.ok(isShimFile(n), n);
    for (const n of [
      "config.json",
      "log",
      "rootfs",
      "shim-binary-path",
      "bootstrap.json",
      ".tmp-config.json-00ab",
      "exec-.json",
    ])
      assert.ok(!isShimFile(n), n);
  });

  it("isExecPidFile → an exec's runhcs pid file only", () => {
    assert.ok(isExecPidFile("runhcs-exec-e1-pidfile.pid"));
    assert.ok(!isExecPidFile("runhcs-pidfile.pid"));
    assert.ok(!isExecPidFile("exec-e1-process.json"));
  });
});
