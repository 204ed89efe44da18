import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VERSION } from "../../src/version.js";

describe("version", () => {
  it("VERSION (reported by Connect and -v) equals package.json's version", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
