import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { posixPlatform } from "../../../src/platform/posix.js";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { resolveBinary } from "../../../src/runhcs/binary.js";

const posix = posixPlatform.executables;
const windows = windowsPlatform.executables;

describe("runhcs binary", () => {
  it("the name is runhcs.exe on Windows, runhcs elsewhere", () => {
    assert.equal(windows.runhcsName, "runhcs.exe");
    assert.equal(posix.runhcsName, "runhcs");
  });

  const none = () => false;

  it("resolveBinary: option, then RUNHCS_BINARY, then the platform default", () => {
    const env = { RUNHCS_BINARY: "/opt/sim/runhcs" };
    assert.equal(resolveBinary({ binary: "/x/runhcs", env, executables: posix }), "/x/runhcs");
    assert.equal(resolveBinary({ env, executables: windows, isFile: none }), "/opt/sim/runhcs");
    assert.equal(resolveBinary({ env: {}, executables: windows, isFile: none }), "runhcs.exe");
    assert.equal(resolveBinary({ env: { RUNHCS_BINARY: "" }, executables: posix, isFile: none }), "runhcs");
  });

  it("Windows: runhcs.exe on Path (any case of the name), else beside the shim, else the bare name", () => {
    const files = new Set(["C:\\tools\\runhcs.exe", "C:\\Program Files\\containerd\\runhcs.exe"]);
    const isFile = (p: string) => files.has(p);
    const env = { Path: "C:\\Windows\\system32;C:\\tools;C:\\other" };
    const besideDir = "C:\\Program Files\\containerd";
    assert.equal(resolveBinary({ env, executables: windows, isFile, besideDir }), "C:\\tools\\runhcs.exe");
    assert.equal(
      resolveBinary({ env: { PATH: "C:\\Windows" }, executables: windows, isFile, besideDir }),
      "C:\\Program Files\\containerd\\runhcs.exe",
    );
    assert.equal(resolveBinary({ env: {}, executables: windows, isFile, besideDir: "D:\\x" }), "runhcs.exe");
  });

  it("relative PATH entries (the current directory) are never searched", () => {
    const isFile = (p: string) => p === "runhcs" || p === "bin/runhcs" || p === "/usr/sbin/runhcs";
    assert.equal(
      resolveBinary({ env: { PATH: ".:bin::/usr/sbin" }, executables: posix, isFile }),
      "/usr/sbin/runhcs",
    );
    assert.equal(resolveBinary({ env: { PATH: ".:bin" }, executables: posix, isFile }), "runhcs");
  });

  it("posix: a real file on PATH is found", function () {
    if (process.platform === "win32") this.skip(); // real posix paths: the Windows lookup is faked above
    const dir = mkdtempSync(join(tmpdir(), "runhcs-bin-"));
    try {
      writeFileSync(join(dir, "runhcs"), "");
      assert.equal(
        resolveBinary({ env: { PATH: `/nonexistent:${dir}` }, executables: posix }),
        join(dir, "runhcs"),
      );
      assert.equal(
        resolveBinary({ env: { PATH: "/nonexistent" }, executables: posix, besideDir: dir }),
        join(dir, "runhcs"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
