import assert from "node:assert/strict";
import { defaultFlags, FlagError, parseFlags } from "../../../src/shim/flags.js";

describe("shim flags (Go flag syntax)", () => {
  it("parseFlags containerd 1.6 start argv → all fields, action start", () => {
    const f = parseFlags([
      "-namespace",
      "k8s.io",
      "-address",
      "/run/containerd/containerd.sock",
      "-publish-binary",
      "/usr/bin/containerd",
      "-id",
      "abc",
      "-debug",
      "start",
    ]);
    assert.deepEqual(f, {
      ...defaultFlags(),
      namespace: "k8s.io",
      address: "/run/containerd/containerd.sock",
      publishBinary: "/usr/bin/containerd",
      id: "abc",
      debug: true,
      action: "start",
    });
  });

  it("parseFlags delete argv with -bundle → bundle and action delete", () => {
    const f = parseFlags(["-namespace", "n", "-id", "x", "-bundle", "/b", "delete"]);
    assert.equal(f.bundle, "/b");
    assert.equal(f.action, "delete");
  });

  it("parseFlags two dashes and -f=value → same as -f value", () => {
    const f = parseFlags(["--namespace=n1", "--id", "i1", "-socket=unix:///x=y", "--bundle=/a=b"]);
    assert.equal(f.namespace, "n1");
    assert.equal(f.id, "i1");
    assert.equal(f.socket, "unix:///x=y");
    assert.equal(f.bundle, "/a=b");
    assert.equal(f.action, "");
  });

  it("parseFlags bool forms → -debug, -debug=true, -debug=false, -v=1", () => {
    assert.equal(parseFlags(["-debug"]).debug, true);
    assert.equal(parseFlags(["-debug=true"]).debug, true);
    assert.equal(parseFlags(["-debug", "-debug=false"]).debug, false);
    assert.equal(parseFlags(["--v=1"]).version, true);
    // a bool never takes the next argument: it is the action
    assert.equal(parseFlags(["-debug", "false"]).action, "false");
  });

  it("parseFlags string value starting with a dash → taken as the value (as Go does)", () => {
    assert.equal(parseFlags(["-id", "-weird"]).id, "-weird");
  });

  it("parseFlags stops at the first non-flag and after -- → rest is positional", () => {
    const f = parseFlags(["-id", "a", "delete", "-debug", "x"]);
    assert.equal(f.debug, false);
    assert.equal(f.action, "delete");
    assert.deepEqual(f.rest, ["-debug", "x"]);
    const g = parseFlags(["-id", "a", "--", "-start"]);
    assert.equal(g.action, "-start");
    assert.equal(parseFlags(["-", "x"]).action, "-");
  });

  it("parseFlags no arguments → defaults, publish-binary containerd, serve", () => {
    const f = parseFlags([]);
    assert.equal(f.publishBinary, "containerd");
    assert.equal(f.action, "");
  });

  it("parseFlags unknown flag → FlagError with Go's message", () => {
    assert.throws(() => parseFlags(["-ttrpc-address", "x"]), {
      name: "FlagError",
      message: "flag provided but not defined: -ttrpc-address",
    });
  });

  it("parseFlags missing value, bad bool, bad syntax → FlagError", () => {
    assert.throws(() => parseFlags(["-id"]), { message: "flag needs an argument: -id" });
    assert.throws(() => parseFlags(["-debug=maybe"]), FlagError);
    assert.throws(() => parseFlags(["---id", "x"]), { message: "bad flag syntax: ---id" });
    assert.throws(() => parseFlags(["-=x"]), FlagError);
  });

  it("parseFlags -info → accepted as a flag", () => {
    assert.equal(parseFlags(["-info"]).info, true);
  });
});
