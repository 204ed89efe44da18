import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultBinaryName, resolveBinary } from "../../../src/runhcs/binary.js";

describe("runhcs binary", () => {
  it("defaultBinaryName is runhcs.exe on Windows, runhcs elsewhere", () => {
    assert.equal(defaultBinaryName("windows"), "runhcs.exe");
    assert.equal(defaultBinaryName("posix"), "runhcs");
  });

  const none = () => false;

  it("resolveBinary: option, then RUNHCS_BINARY, then the platform default", () => {
    const env = { RUNHCS_BINARY: "/opt/sim/runhcs" };
    assert.equal(resolveBinary({ binary: "/x/runhcs", env, platform: "posix" }), "/x/runhcs");
    assert.equal(resolveBinary({ env, platform: "windows", isFile: none }), "/opt/sim/runhcs");
    assert.equal(resolveBinary({ env: {}, platform: "windows", isFile: none }), "runhcs.exe");
    assert.equal(resolveBinary({ env: { RUNHCS_BINARY: "" }, platform: "posix", isFile: none }), "runhcs");
  });

  it("Windows: runhcs.exe on Path (any case of the name), else beside the shim, else the bare name", () => {
    const files = new Set(["C:\\tools\\runhcs.exe", "C:\\Program Files\\containerd\\runhcs.exe"]);
    const isFile = (p: string) => files.has(p);
    const env = { Path: "C:\\Windows\\system32;C:\\tools;C:\\other" };
    const besideDir = "C:\\Program Files\\containerd";
    assert.equal(resolveBinary({ env, platform: "windows", isFile, besideDir }), "C:\\tools\\runhcs.exe");
    assert.equal(
      resolveBinary({ env: { PATH: "C:\\Windows" }, platform: "windows", isFile, besideDir }),
      "C:\\Program Files\\containerd\\runhcs.exe",
    );
    assert.equal(resolveBinary({ env: {}, platform: "windows", isFile, besideDir: "D:\\x" }), "runhcs.exe");
  });

  it("relative PATH entries (the current directory) are never searched", () => {
    const isFile = (p: string) => p === "runhcs" || p === "bin/runhcs" || p === "/usr/sbin/runhcs";
    assert.equal(
      resolveBinary({ env: { PATH: ".:bin::/usr/sbin" }, platform: "posix", isFile }),
      "/usr/sbin/runhcs",
    );
    assert.equal(resolveBinary({ env: { PATH: ".:bin" }, platform: "posix", isFile }), "runhcs");
  });

  it("posix: a real file on PATH is found", function () {
    if (process.platform === "win32") this.skip(); // real posix paths: the Windows lookup is faked above
    const dir = mkdtempSync(join(tmpdir(), "runhcs-bin-"));
    try {
      writeFileSync(join(dir, "runhcs"), "");
      assert.equal(
        resolveBinary({ env: { PATH: `/nonexistent:${dir}` }, platform: "posix" }),
        join(dir, "runhcs"),
      );
      assert.equal(
        resolveBinary({ env: { PATH: "/nonexistent" }, platform: "posix", besideDir: dir }),
        join(dir, "runhcs"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
