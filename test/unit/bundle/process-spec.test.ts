import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSpecProcess, writeProcessSpec } from "../../../src/bundle/process-spec.js";
import { bundleFilePath } from "../../../src/bundle/spec-file.js";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { assertEntries, makeBundle, removeBundle } from "./helpers.js";

describe("bundle process spec", () => {
  let bundle: string;
  beforeEach(async () => {
    bundle = await makeBundle();
  });
  afterEach(() => removeBundle(bundle));

  const config = (spec: unknown) => writeFile(join(bundle, "config.json"), JSON.stringify(spec));

  it("readSpecProcess returns args, terminal, cwd and env of config.json's process", async () => {
    await config({
      process: { args: ["cmd", "/c", "dir"], terminal: true, cwd: "C:\\", env: ["A=1"], user: {} },
    });
    assert.deepEqual(await readSpecProcess(bundle), {
      args: ["cmd", "/c", "dir"],
      terminal: true,
      cwd: "C:\\",
      env: ["A=1"],
    });
  });

  it("readSpecProcess applies OCI defaults to absent fields", async () => {
    await config({ process: { args: ["sh"] } });
    assert.deepEqual(await readSpecProcess(bundle), { args: ["sh"], terminal: false, cwd: "", env: [] });
  });

  const badSpecs: [string, unknown, string][] = [
    ["no process", { ociVersion: "1" }, "bundle config.json has no process: invalid argument"],
    ["process not an object", { process: [] }, "config.json process is not a JSON object: invalid argument"],
    [
      "terminal not a boolean",
      { process: { terminal: "yes" } },
      "config.json process.terminal is not a boolean: invalid argument",
    ],
    [
      "cwd not a string",
      { process: { cwd: 1 } },
      "config.json process.cwd is not a string: invalid argument",
    ],
    [
      "args with a number",
      { process: { args: ["a", 1] } },
      "config.json process.args is not an array of strings: invalid argument",
    ],
    [
      "env not an array",
      { process: { env: "A=1" } },
      "config.json process.env is not an array of strings: invalid argument",
    ],
  ];
  for (const [name, spec, message] of badSpecs) {
    it(`readSpecProcess rejects ${name} → InvalidArgumentError`, async () => {
      await config(spec);
      await assert.rejects(readSpecProcess(bundle), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }

  it("writeProcessSpec writes the bytes verbatim (unknown fields kept) and returns the process", async () => {
    const path = bundleFilePath(bundle, "exec-c1-e1config.json");
    const json = '{"args":["ping","-t","localhost"],"cwd":"C:\\\\","x-new":{"n":18446744073709551615}}';
    const info = await writeProcessSpec(path, new TextEncoder().encode(json));
    assert.deepEqual(info, { args: ["ping", "-t", "localhost"], terminal: false, cwd: "C:\\", env: [] });
    assert.equal(await readFile(path, "utf8"), json);
    await assertEntries(bundle, ["exec-c1-e1config.json"]);
  });

  it("writeProcessSpec replaces a longer previous file completely (the seed did not truncate)", async () => {
    const path = bundleFilePath(bundle, "exec-c1-e1config.json");
    await writeFile(path, JSON.stringify({ args: ["a-much-longer-command-line"], env: ["X=1", "Y=2"] }));
    await writeProcessSpec(path, '{"args":["b"]}');
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
  ];
  for (const [name, json, message] of badExecs) {
    it(`writeProcessSpec rejects ${name} → InvalidArgumentError, nothing written`, async () => {
      const path = bundleFilePath(bundle, "exec-c1-e1config.json");
      await assert.rejects(writeProcessSpec(path, json), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        if (typeof message === "string") assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      });
      await assertEntries(bundle, []);
    });
  }

  it("writeProcessSpec leaves no temp file when the final rename fails", async () => {
    const path = join(bundle, "taken");
    await mkdir(join(path, "inner"), { recursive: true });
    await assert.rejects(writeProcessSpec(path, '{"args":["a"]}'), (err: unknown) => {
      assert.ok(!(err instanceof InvalidArgumentError), "an I/O failure is not the caller's fault");
      return true;
    });
    await assertEntries(bundle, ["taken"]);
  });
});
