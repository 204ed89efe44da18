import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../../src/version.js";
import { runShim, shimEntry, tempDir } from "./helpers.js";

describe("shim binary (main)", function () {
  this.timeout(60_000);
  let dir: string;
  let entry: string;

  before(() => {
    dir = tempDir("main");
    entry = shimEntry(join(dir, "rt"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("-v → version on stdout, exit 0", async () => {
    const r = await runShim(entry, ["-v"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), `containerd-shim-runhcs-v1:\n  Version:  ${VERSION}\n`);
  });

  it("unknown flag → Go's message on stderr, nothing on stdout, exit 1", async () => {
    const r = await runShim(entry, ["-namespace", "n", "-bogus", "start"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /flag provided but not defined: -bogus/);
  });

  it("no namespace → error, exit 1", async () => {
    const r = await runShim(entry, ["-id", "x", "start"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /namespace cannot be empty/);
  });

  it("unknown action → error, exit 1", async () => {
    const r = await runShim(entry, ["-namespace", "n", "-id", "x", "frobnicate"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown action "frobnicate"/);
  });

  it("-info → refused with a clear error, exit 1", async () => {
    const r = await runShim(entry, ["-namespace", "n", "-id", "x", "-info"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-info is not supported/);
  });

  it("serve without -socket → error, exit 1", async () => {
    const r = await runShim(entry, ["-namespace", "n", "-id", "x"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-socket is required/);
  });
});
