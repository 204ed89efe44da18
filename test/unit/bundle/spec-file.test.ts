import assert from "node:assert/strict";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../src/bundle/atomic-write.js";
import { memberText, setMember } from "../../../src/bundle/json-splice.js";
import { bundleFilePath } from "../../../src/bundle/spec-file.js";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { assertEntries, makeBundle, removeBundle } from "./helpers.js";

describe("bundle bundleFilePath", () => {
  it("joins a plain file name to the bundle", () => {
    assert.equal(bundleFilePath("/b", "exec-c-e config.json"), join("/b", "exec-c-e config.json"));
  });
  for (const name of [
    "",
    ".",
    "..",
    "../x",
    "a/b",
    "a\\b",
    "..\\x",
    "a\0b",
    "C:x",
    "f:stream",
    "a*b",
    "x.",
    "x ",
    "a\nb",
  ]) {
    it(`refuses ${JSON.stringify(name)} → InvalidArgumentError`, () => {
      assert.throws(() => bundleFilePath("/b", name), InvalidArgumentError);
    });
  }
});

describe("bundle json-splice", () => {
  it("replaces only the value of an existing member", () => {
    const text = '{ "a" : 1.0 ,"b":{"c":[1,"}"]}, "z": "\\"" }';
    assert.equal(setMember(text, "b", "2"), '{ "a" : 1.0 ,"b":2, "z": "\\"" }');
  });

  it("replaces the last of duplicate keys, as JSON.parse reads it", () => {
    assert.equal(setMember('{"a":1,"a":2}', "a", "3"), '{"a":1,"a":3}');
    assert.equal(memberText('{"a":1,"a":[2]}', "a"), "[2]");
  });

  it("matches escaped keys by their decoded name", () => {
    assert.equal(memberText('{"\\u0077indows":{}}', "windows"), "{}");
  });

  it("appends to an empty object and after the last member with its indentation", () => {
    assert.equal(setMember(" {} \n", "k", "[]"), ' {"k":[]} \n');
    assert.equal(setMember('{\n\t"a": 1\n}', "k", "{}"), '{\n\t"a": 1,\n\t"k": {}\n}');
  });
});

describe("bundle writeFileAtomic", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeBundle();
  });
  afterEach(() => removeBundle(dir));

  it("replaces the file (new inode) and leaves no temp file", async () => {
    const path = join(dir, "f.json");
    await writeFile(path, "old content that is longer");
    const before = await stat(path);
    await writeFileAtomic(path, "new", 0o640);
    assert.equal(await readFile(path, "utf8"), "new");
    const after = await stat(path);
    assert.notEqual(after.ino, before.ino);
    await assertEntries(dir, ["f.json"]);
  });

  it("gives the file the requested mode (POSIX only: Windows has no mode bits, stat reports 0o666)", async function () {
    if (process.platform === "win32") this.skip();
    const path = join(dir, "f.json");
    await writeFile(path, "old");
    await writeFileAtomic(path, "new", 0o640);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
  });

  it("removes its temp file and keeps the target when the rename fails", async () => {
    await writeFile(join(dir, "keep"), "x");
    const target = join(dir, "sub");
    await mkdir(join(target, "child"), { recursive: true });
    await assert.rejects(writeFileAtomic(target, "data"));
    await assertEntries(dir, ["keep", "sub"]);
    assert.ok((await stat(target)).isDirectory());
  });
});
