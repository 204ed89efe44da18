import assert from "node:assert/strict";
import { addressPath, isNamedPipe } from "../../../src/ttrpc/listen.js";

describe("ttrpc listen addresses", () => {
  it("strips an optional unix:// prefix", () => {
    assert.equal(addressPath("unix:///run/x.sock"), "/run/x.sock");
    assert.equal(addressPath("/run/x.sock"), "/run/x.sock");
  });

  it("recognises Windows named pipes, which bypass the stale-socket logic", () => {
    assert.equal(isNamedPipe("\\\\.\\pipe\\containerd-shim-abc"), true);
    assert.equal(isNamedPipe("//./pipe/containerd-shim-abc"), true);
    assert.equal(isNamedPipe("/tmp/pipe/x.sock"), false);
  });
});
