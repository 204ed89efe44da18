import assert from "node:assert/strict";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  MIN_LAYER_FOLDERS,
  type WriteMountsOptions,
  writeMountsToConfig,
} from "../../../src/bundle/layer-folders.js";
import type { RootfsMount } from "../../../src/bundle/rootfs-mounts.js";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { assertEntries, makeBundle, removeBundle } from "./helpers.js";

const SCRATCH = "C:\\snapshots\\9";
const parents = (...p: string[]) => `parentLayerPaths=${JSON.stringify(p)}`;
const wcow = (...options: string[]): RootfsMount => ({ type: "windows-layer", source: SCRATCH, options });
const lcow = (...options: string[]): RootfsMount => ({ type: "lcow-layer", source: SCRATCH, options });

interface OkCase {
  name: string;
  /** config.json content (an object is written with JSON.stringify). */
  spec: unknown;
  mounts: RootfsMount[];
  options?: WriteMountsOptions;
  /** The resulting `windows` section (deep equal), or undefined for "absent". */
  windows: unknown;
  changed: boolean;
}

const okCases: OkCase[] = [
  {
    name: "windows-layer: parents in the given order (nearest first), then the scratch",
    spec: { ociVersion: "1.0.2", windows: {} },
    mounts: [wcow("rw", parents("C:\\l\\2", "C:\\l\\1", "C:\\l\\0"))],
    windows: { layerFolders: ["C:\\l\\2", "C:\\l\\1", "C:\\l\\0", SCRATCH] },
    changed: true,
  },
  {
    name: "lcow-layer: same order as windows-layer (not reversed) and windows.hyperv created",
    spec: { ociVersion: "1.0.2" },
    mounts: [lcow("rw", parents("C:\\l\\2", "C:\\l\\1", "C:\\l\\0"))],
    windows: { layerFolders: ["C:\\l\\2", "C:\\l\\1", "C:\\l\\0", SCRATCH], hyperv: {} },
    changed: true,
  },
  {
    name: "lcow-layer: an existing windows gains hyperv; an existing hyperv is kept as is",
    spec: { windows: { network: { allowUnqualifiedDNSQuery: true }, hyperv: { utilityVMPath: "C:\\uvm" } } },
    mounts: [lcow(parents("C:\\l\\0"))],
    windows: {
      network: { allowUnqualifiedDNSQuery: true },
      hyperv: { utilityVMPath: "C:\\uvm" },
      layerFolders: ["C:\\l\\0", SCRATCH],
    },
    changed: true,
  },
  {
    name: "no parentLayerPaths option: the scratch alone",
    spec: { windows: { layerFolders: null } },
    mounts: [wcow("rw")],
    windows: { layerFolders: [SCRATCH] },
    changed: true,
  },
  {
    name: "layer folders already in the spec stay in front",
    spec: { windows: { layerFolders: ["C:\\extra"] } },
    mounts: [wcow(parents("C:\\l\\0"))],
    windows: { layerFolders: ["C:\\extra", "C:\\l\\0", SCRATCH] },
    changed: true,
  },
  {
    name: "windows-layer without a windows section: the section is created (no hyperv)",
    spec: { ociVersion: "1.0.2", process: { args: ["cmd"] } },
    mounts: [wcow(parents("C:\\l\\0"))],
    windows: { layerFolders: ["C:\\l\\0", SCRATCH] },
    changed: true,
  },
  {
    name: "windows: null is treated as absent",
    spec: { windows: null },
    mounts: [wcow(parents("C:\\l\\0"))],
    windows: { layerFolders: ["C:\\l\\0", SCRATCH] },
    changed: true,
  },
  {
    name: "a retried rewrite (layers already applied) changes nothing",
    spec: { windows: { layerFolders: ["C:\\l\\0", SCRATCH], hyperv: {} } },
    mounts: [lcow(parents("C:\\l\\0"))],
    windows: { layerFolders: ["C:\\l\\0", SCRATCH], hyperv: {} },
    changed: false,
  },
  {
    name: "no rootfs mounts: spec untouched when it carries enough layer folders",
    spec: { windows: { layerFolders: ["C:\\l\\0", SCRATCH] } },
    mounts: [],
    windows: { layerFolders: ["C:\\l\\0", SCRATCH] },
    changed: false,
  },
  {
    name: "no rootfs mounts and requireLayerFolders off: spec untouched even without windows",
    spec: { ociVersion: "1.0.2" },
    mounts: [],
    options: { requireLayerFolders: false },
    windows: undefined,
    changed: false,
  },
];

interface ErrorCase {
  name: string;
  /** config.json text, or undefined for "no config.json". */
  text: string | undefined;
  mounts: RootfsMount[];
  options?: WriteMountsOptions;
  /** The exact error message, or a pattern when it embeds a parser's or a path's text. */
  message: string | RegExp;
}

const GOOD = JSON.stringify({ ociVersion: "1.0.2", windows: { layerFolders: [] } });
const INVALID_SPEC = "bundle config.json is not valid oci spec";

const errorCases: ErrorCase[] = [
  {
    name: "several rootfs mounts",
    text: GOOD,
    mounts: [wcow(), wcow()],
    message: "rootfs must contain exactly 1 mount for the root file system, got 2: invalid argument",
  },
  {
    name: "an unknown mount type",
    text: GOOD,
    mounts: [{ type: "bind", source: "C:\\x", options: [] }],
    message: "unsupported mount type 'bind': invalid argument",
  },
  {
    name: "an empty mount source",
    text: GOOD,
    mounts: [{ type: "windows-layer", source: "", options: [] }],
    message: "windows-layer mount has an empty source (scratch layer): invalid argument",
  },
  {
    name: "parentLayerPaths that is not JSON",
    text: GOOD,
    mounts: [wcow("parentLayerPaths=[C:\\l]")],
    message: /^failed to unmarshal parent layer paths from mount: .+: invalid argument$/,
  },
  {
    name: "parentLayerPaths that is not an array",
    text: GOOD,
    mounts: [wcow('parentLayerPaths={"a":1}')],
    message: "parentLayerPaths must be a JSON array of strings: invalid argument",
  },
  {
    name: "parentLayerPaths with a non-string element",
    text: GOOD,
    mounts: [wcow('parentLayerPaths=["C:\\\\l",3]')],
    message: "parentLayerPaths[1] must be a non-empty string: invalid argument",
  },
  {
    name: "two parentLayerPaths options",
    text: GOOD,
    mounts: [wcow(parents("a"), parents("b"))],
    message: "mount has 2 parentLayerPaths= options: invalid argument",
  },
  {
    name: "no config.json",
    text: undefined,
    mounts: [wcow()],
    message: /^bundle \S+ does not contain config.json: invalid argument$/,
  },
  {
    name: "config.json that is not JSON",
    text: '{"ociVersion": ',
    mounts: [wcow()],
    message: /^bundle config.json is not valid JSON: .+: invalid argument$/,
  },
  {
    name: "config.json that is not an object",
    text: "[1,2]",
    mounts: [wcow()],
    message: `${INVALID_SPEC}: top level is not an object: invalid argument`,
  },
  {
    name: "windows that is not an object",
    text: '{"windows":"C:\\\\l"}',
    mounts: [wcow()],
    message: `${INVALID_SPEC}: windows is not an object: invalid argument`,
  },
  {
    name: "layerFolders that is not an array of strings",
    text: '{"windows":{"layerFolders":["a",{}]}}',
    mounts: [wcow()],
    message: `${INVALID_SPEC}: windows.layerFolders is not an array of strings: invalid argument`,
  },
  {
    name: "hyperv that is not an object",
    text: '{"windows":{"hyperv":true}}',
    mounts: [lcow()],
    message: `${INVALID_SPEC}: windows.hyperv is not an object: invalid argument`,
  },
  {
    name: "no rootfs mounts and too few layer folders (requireLayerFolders default on)",
    text: '{"windows":{"layerFolders":["C:\\\\scratch"]}}',
    mounts: [],
    message: `no Windows.LayerFolders found in oci spec: Create without rootfs mounts needs at least ${MIN_LAYER_FOLDERS} (parent layers and scratch), found 1: invalid argument`,
  },
  {
    name: "no rootfs mounts, requireLayerFolders on and no windows section",
    text: '{"ociVersion":"1.0.2"}',
    mounts: [],
    options: { requireLayerFolders: true },
    message: `no Windows.LayerFolders found in oci spec: Create without rootfs mounts needs at least ${MIN_LAYER_FOLDERS} (parent layers and scratch), found 0: invalid argument`,
  },
];

describe("bundle writeMountsToConfig", () => {
  let bundle: string;
  let config: string;
  beforeEach(async () => {
    bundle = await makeBundle();
    config = join(bundle, "config.json");
  });
  afterEach(() => removeBundle(bundle));

  for (const c of okCases) {
    it(`${c.name}`, async () => {
      const text = JSON.stringify(c.spec);
      await writeFile(config, text);
      const before = await stat(config);
      const result = await writeMountsToConfig(bundle, c.mounts, c.options);
      const after = JSON.parse(await readFile(config, "utf8"));
      assert.deepEqual(after.windows, c.windows);
      assert.equal(result.changed, c.changed);
      assert.deepEqual(
        result.layerFolders,
        c.windows ? (c.windows as { layerFolders: string[] }).layerFolders : [],
      );
      const { windows: _a, ...restAfter } = after;
      const { windows: _b, ...restBefore } = c.spec as Record<string, unknown>;
      assert.deepEqual(restAfter, restBefore);
      if (!c.changed) {
        assert.equal(await readFile(config, "utf8"), text);
        assert.equal((await stat(config)).ino, before.ino, "an unchanged spec must not be rewritten");
      }
      await assertEntries(bundle, ["config.json"]);
    });
  }

  for (const c of errorCases) {
    it(`rejects ${c.name} → InvalidArgumentError, config.json untouched`, async () => {
      if (c.text !== undefined) await writeFile(config, c.text);
      await assert.rejects(writeMountsToConfig(bundle, c.mounts, c.options), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, `not InvalidArgumentError: ${err}`);
        if (typeof c.message === "string") assert.equal(err.message, c.message);
        else assert.match(err.message, c.message);
        return true;
      });
      if (c.text === undefined) await assertEntries(bundle, []);
      else {
        assert.equal(await readFile(config, "utf8"), c.text);
        await assertEntries(bundle, ["config.json"]);
      }
    });
  }

  it("keeps formatting, key order (integer-like keys too) and big numbers", async () => {
    const text = `{
  "ociVersion": "1.0.2",
  "annotations": { "10": "ten", "2": "two", "b": "x" },
  "windows": {
    "resources": { "memory": { "limit": 18446744073709551615 } },
    "layerFolders": [ "C:\\\\base" ]
  },
  "x-unknown": [1.0, -0, 1e2]
}
`;
    await writeFile(config, text);
    await writeMountsToConfig(bundle, [lcow(parents("C:\\l\\0"))]);
    const expected = `{
  "ociVersion": "1.0.2",
  "annotations": { "10": "ten", "2": "two", "b": "x" },
  "windows": {
    "resources": { "memory": { "limit": 18446744073709551615 } },
    "layerFolders": ["C:\\\\base","C:\\\\l\\\\0","C:\\\\snapshots\\\\9"],
    "hyperv": {}
  },
  "x-unknown": [1.0, -0, 1e2]
}
`;
    assert.equal(await readFile(config, "utf8"), expected);
    await assertEntries(bundle, ["config.json"]);
  });

  it("keeps config.json's file mode (POSIX only: Windows has no mode bits, stat reports 0o666)", async function () {
    if (process.platform === "win32") this.skip();
    await writeFile(config, '{ "windows": { "layerFolders": [ "C:\\\\base" ] } }\n');
    await chmod(config, 0o600);
    await writeMountsToConfig(bundle, [lcow(parents("C:\\l\\0"))]);
    assert.equal((await stat(config)).mode & 0o777, 0o600);
  });

  it("rejects config.json that is not UTF-8 and leaves it byte-identical", async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff":1}
    await writeFile(config, bytes);
    await assert.rejects(writeMountsToConfig(bundle, [wcow()]), InvalidArgumentError);
    assert.ok((await readFile(config)).equals(bytes));
  });
});
