import assert from "node:assert/strict";
import { Metadata } from "../../../src/ttrpc/metadata.js";

describe("ttrpc Metadata", () => {
  it("lower-cases keys and keeps entry order, repeated keys included", () => {
    const md = new Metadata([
      ["B", "1"],
      ["a", "2"],
      ["b", "3"],
    ]);
    assert.deepEqual(
      [...md],
      [
        ["b", "1"],
        ["a", "2"],
        ["b", "3"],
      ],
    );
    assert.equal(md.get("B"), "1");
    assert.deepEqual(md.getAll("b"), ["1", "3"]);
    assert.equal(md.get("missing"), undefined);
    assert.deepEqual(md.getAll("missing"), []);
  });

  it("set replaces every value, append adds, delete removes all", () => {
    const md = new Metadata();
    md.append("k", "1");
    md.append("K", "2");
    md.append("other", "x");
    md.set("k", "3");
    assert.deepEqual(
      [...md],
      [
        ["other", "x"],
        ["k", "3"],
      ],
    );
    md.delete("OTHER");
    assert.deepEqual([...md], [["k", "3"]]);
    assert.equal(md.size, 1);
  });

  it("iteration yields copies that cannot change the metadata", () => {
    const md = new Metadata([["k", "v"]]);
    for (const e of md) e[1] = "changed";
    assert.equal(md.get("k"), "v");
  });
});
