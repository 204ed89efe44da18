import assert from "node:assert/strict";
import { tempTarget } from "../../../src/bundle/atomic-write.js";
import { isExecPidFile, isShimFile } from "../../../src/bundle/files.js";

describe("bundle files", () => {
  it("isShimFile → only the shim's own names", () => {
    for (const n of [
      "address",
      "shim.pid",
      "runhcs-pidfile.pid",
      "exec-a-process.json",
      "runhcs-exec-a-pidfile.pid",
      "shim-created",
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

  it("tempTarget → the file a leftover writeFileAtomic temp was for", () => {
    assert.equal(tempTarget(".tmp-address-0123456789ab"), "address");
    assert.equal(tempTarget(".tmp-exec-e1-process.json-0123456789ab"), "exec-e1-process.json");
    assert.equal(tempTarget(".tmp-address-0123"), undefined);
    assert.equal(tempTarget("address"), undefined);
  });
});
