import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "../../src/errdefs.js";
import { isSafeId, MAX_ID_LENGTH, validateId } from "../../src/ids.js";

describe("ids", () => {
  it("accepts containerd identifiers", () => {
    for (const id of ["a", "default", "k8s.io", "my_ctr-1.2", "A9", "a".repeat(MAX_ID_LENGTH), "1.2.3"]) {
      assert.equal(isSafeId(id), true, id);
      validateId(id);
    }
  });

  it("rejects empty, too long, path-like, leading/trailing/double separators and non-ASCII", () => {
    for (const id of [
      "",
      "a".repeat(MAX_ID_LENGTH + 1),
      ".",
      "..",
      "../x",
      "a/b",
      "a\\b",
      ".hidden",
      "a.",
      "-a",
      "a..b",
      "a_-b",
      "a b",
      "é",
      "a\0",
    ]) {
      assert.equal(isSafeId(id), false, JSON.stringify(id));
      assert.throws(() => validateId(id, "id"), InvalidArgumentError);
    }
  });

  it("validateId messages follow containerd's wording", () => {
    assert.throws(
      () => validateId("", "namespace"),
      /^InvalidArgumentError: namespace must not be empty: invalid argument$/,
    );
    assert.throws(
      () => validateId("a".repeat(77)),
      /greater than maximum length \(76 characters\): invalid argument/,
    );
    assert.throws(() => validateId("a/b"), /"a\/b" must match/);
  });

  it("property: a safe id is always a single, non-hidden path component", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        if (!isSafeId(s)) return true;
        return (
          !s.includes("/") &&
          !s.includes("\\") &&
          !s.startsWith(".") &&
          s !== ".." &&
          s.length <= MAX_ID_LENGTH
        );
      }),
    );
  });
});
