import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeProcessSpec } from "../../../src/bundle/process-spec.js";
import { bundleFilePath } from "../../../src/bundle/spec-file.js";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { assertEntries, makeBundle, removeBundle } from "./helpers.js";

describe("bundle process spec", () => {
  let bundle: string;
  beforeEach(async () => {
    bundle = await makeBundle();
  });
  afterEach(() => removeBundle(bundle));

  it("writeProcessSpec writes the bytes verbatim (unknown fields kept) and returns the process", async () => {
    const path = bundleFilePath(bundle, "exec-c1-e1config.json");
    const json = '{"args":["ping","-t","localhost"],"cwd":"C:\\\\","x-new":{"n":18446744073709551615}}';
    const info = writeProcessSpec(path, new TextEncoder().encode(json));
    assert.deepEqual(info, { args: ["ping", "-t", "localhost"], terminal: false, cwd: "C:\\", env: [] });
    assert.equal(await readFile(path, "utf8"), json);
    await assertEntries(bundle, ["exec-c1-e1config.json"]);
  });

  it("writeProcessSpec replaces a longer previous file completely (the seed did not truncate)", async () => {
    const path = bundleFilePath(bundle, "exec-c1-e1config.json");
    await writeFile(path, JSON.stringify({ args: ["a-much-longer-command-line"], env: ["X=1", "Y=2"] }));
    writeProcessSpec(path, '{"args":["b"]}');
    assert.equal(await readFile(path, "utf8"), '{"args":["b"]}');
  });

  const badExecs: [string, string, string | RegExp][] = [
    ["invalid JSON", "{args:", /^exec process spec is not valid JSON: .+: invalid argument$/],
    ["not an object", '["a"]', "exec process spec is not a JSON object: invalid argument"],
    ["no args", '{"cwd":"C:\\\\"}', "exec process spec args must not be empty: invalid argument"],
    ["empty args", '{"args":[]}', "exec process spec args must not be empty: invalid argument"],
    [
      "args not strings",
      '{"args":[1]}',
      "exec process spec.args is not an array of strings: invalid argument",
    ],
    [
      "terminal not a boolean",
      '{"args":["a"],"terminal":"yes"}',
      "exec process spec.terminal is not a boolean: invalid argument",
    ],
    ["cwd not a string", '{"args":["a"],"cwd":1}', "exec process spec.cwd is not a string: invalid argument"],
    [
      "env not an array",
      '{"args":["a"],"env":"A=1"}',
      "exec process spec.env is not an array of strings: invalid argument",
    ],
  ];
  for (const [name, json, message] of badExecs) {
    it(`writeProcessSpec rejects ${name} → InvalidArgumentError, nothing written`, async () => {
      const path = bundleFilePath(bundle, "exec-c1-e1config.json");
      assert.throws(
        () => writeProcessSpec(path, json),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          if (typeof message === "string") assert.equal(err.message, message);
          else assert.match(err.message, message);
          return true;
        },
      );
      await assertEntries(bundle, []);
    });
  }

  it("writeProcessSpec fails with the I/O error when the path cannot be written, leaving nothing", async () => {
    const path = join(bundle, "taken");
    await mkdir(join(path, "inner"), { recursive: true });
    assert.throws(
      () => writeProcessSpec(path, '{"args":["a"]}'),
      (err: unknown) => {
        assert.ok(!(err instanceof InvalidArgumentError), "an I/O failure is not the caller's fault");
        return true;
      },
    );
    await assertEntries(bundle, ["taken"]);
  });
});
