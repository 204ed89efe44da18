import assert from "node:assert/strict";
import { InvalidArgumentError, NotImplementedError } from "../../../src/errdefs.js";
import { platform } from "../../../src/platform/index.js";
import { posixPlatform } from "../../../src/platform/posix.js";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { defaultStdioPlatform, parseStdioTarget } from "../../../src/stdio/index.js";

describe("stdio parseStdioTarget", () => {
  it('"" → none, for every role and flavor', () => {
    for (const role of ["stdin", "stdout", "stderr"] as const) {
      assert.deepEqual(parseStdioTarget("", role, "posix"), { kind: "none" });
      assert.deepEqual(parseStdioTarget("", role, "windows"), { kind: "none" });
    }
  });

  it("plain absolute paths pass through unchanged (FIFO on posix, pipe on windows)", () => {
    const fifo = "/run/containerd/fifo/123/abc-stdout";
    assert.deepEqual(parseStdioTarget(fifo, "stdout", "posix"), { kind: "path", path: fifo });
    const pipe = "\\\\.\\pipe\\ctr-abc-stdout";
    assert.deepEqual(parseStdioTarget(pipe, "stdout", "windows"), { kind: "path", path: pipe });
    assert.deepEqual(parseStdioTarget("C:\\x\\y", "stderr", "windows"), { kind: "path", path: "C:\\x\\y" });
  });

  it("file:// → absolute file path (percent-decoded); stdin rejects it", () => {
    assert.deepEqual(parseStdioTarget("file:///var/log/a%20b.log", "stdout", "posix"), {
      kind: "file",
      path: "/var/log/a b.log",
    });
    assert.deepEqual(parseStdioTarget("file:///C:/logs/out.log", "stderr", "windows"), {
      kind: "file",
      path: "C:\\logs\\out.log",
    });
    assert.throws(() => parseStdioTarget("file:///tmp/in", "stdin", "posix"), InvalidArgumentError);
  });

  it("npipe:// forms normalise to \\\\.\\pipe\\<name>", () => {
    const want = { kind: "npipe", path: "\\\\.\\pipe\\ctr-1-stdout" };
    assert.deepEqual(parseStdioTarget("npipe://./pipe/ctr-1-stdout", "stdout", "windows"), want);
    assert.deepEqual(parseStdioTarget("npipe:////./pipe/ctr-1-stdout", "stdout", "windows"), want);
    assert.deepEqual(parseStdioTarget("npipe:\\\\.\\pipe\\ctr-1-stdout", "stdout", "windows"), want);
    assert.throws(() => parseStdioTarget("npipe://./nopipe", "stdout", "windows"), InvalidArgumentError);
    assert.throws(() => parseStdioTarget("npipe://./pipe/", "stdout", "windows"), InvalidArgumentError);
  });

  it("binary:// → NotImplementedError naming the stream", () => {
    assert.throws(
      () => parseStdioTarget("binary:///usr/bin/shim-logger?id=1", "stdout", "posix"),
      (e: unknown) => e instanceof NotImplementedError && /stdout .*binary:\/\/ logging/.test(e.message),
    );
  });

  it("malformed → InvalidArgumentError", () => {
    const bad: [string, "posix" | "windows"][] = [
      ["relative/path", "posix"],
      ["fifo", "posix"],
      ["tcp://127.0.0.1:1", "posix"],
      ["fifo:///tmp/x", "posix"],
      ["file://host/tmp/x", "posix"],
      ["file:///", "posix"],
      ["file://", "posix"],
      ["/tmp/a\0b", "posix"],
      ["relative\\pipe", "windows"],
    ];
    for (const [value, flavor] of bad) {
      assert.throws(() => parseStdioTarget(value, "stdout", flavor), InvalidArgumentError, value);
    }
  });
});

describe("stdio defaultStdioPlatform", () => {
  it("posix → FIFO opener, windows → named-pipe opener; default follows src/platform", () => {
    assert.equal(defaultStdioPlatform(posixPlatform).opener.flavor, "posix");
    assert.equal(defaultStdioPlatform(windowsPlatform).opener.flavor, "windows");
    assert.equal(defaultStdioPlatform().opener.flavor, platform.name);
  });
});
