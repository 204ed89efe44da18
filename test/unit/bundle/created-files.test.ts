/**
 * The record of the files the shim created in a bundle (`src/bundle/created-files.ts`): what the `delete`
 * action trusts and removes.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCreated, recordCreated } from "../../../src/bundle/created-files.js";
import { BUNDLE_FILES } from "../../../src/bundle/files.js";

describe("bundle created-files record", () => {
  let bundle: string;
  const record = () => join(bundle, BUNDLE_FILES.created);

  beforeEach(() => {
    bundle = mkdtempSync(join(tmpdir(), "created-"));
  });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  it("no record → nothing is the shim's", async () => {
    assert.deepEqual(await readCreated(bundle), new Set());
  });

  it("records append; the record names itself, having created the file", async () => {
    recordCreated(bundle, ["shim.pid", "address"]);
    recordCreated(bundle, ["runhcs-pidfile.pid"]);
    assert.equal(readFileSync(record(), "utf8"), "shim-created\nshim.pid\naddress\nrunhcs-pidfile.pid\n");
    assert.deepEqual(
      await readCreated(bundle),
      new Set(["shim-created", "shim.pid", "address", "runhcs-pidfile.pid"]),
    );
  });

  it("a hundred records lose no name", async () => {
    const execs = Array.from({ length: 100 }, (_, i) => `e${i}`);
    for (const e of execs) recordCreated(bundle, [BUNDLE_FILES.execSpec(e), BUNDLE_FILES.execPid(e)]);
    const created = await readCreated(bundle);
    assert.equal(created.size, 201);
    for (const e of execs) assert.ok(created.has(BUNDLE_FILES.execPid(e)), e);
  });

  it("a record the shim did not create (it does not name itself) is trusted for nothing", async () => {
    writeFileSync(record(), "runhcs-pidfile.pid\n");
    recordCreated(bundle, ["address"]);
    assert.deepEqual(await readCreated(bundle), new Set());
  });

  it("a line cut short by a crash and names that are not the shim's are ignored", async () => {
    recordCreated(bundle, ["address"]);
    appendFileSync(record(), "config.json\nrootfs\nlog\nrunhcs-pidfile.pid");
    assert.deepEqual(await readCreated(bundle), new Set(["shim-created", "address"]));
  });

  it("only shim file names can be recorded", async () => {
    for (const bad of ["config.json", "log", "../x/address", "address\nconfig.json"])
      assert.throws(() => recordCreated(bundle, [bad]), /not a shim file name/);
    assert.deepEqual(await readCreated(bundle), new Set());
  });
});
