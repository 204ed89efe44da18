import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { writeMountsToConfig } from "../../../src/bundle/layer-folders.js";
import type { RootfsMount } from "../../../src/bundle/rootfs-mounts.js";
import { assertEntries, makeBundle, removeBundle } from "./helpers.js";

type Json = Record<string, unknown>;

/** An object with random keys (except `reserved`) and the `extra` members inserted at random places. */
function objectWith(reserved: string[], extra: fc.Arbitrary<[string, unknown][]>): fc.Arbitrary<Json> {
  const key = fc
    .oneof(fc.string(), fc.string({ unit: "binary" }))
    .filter((k) => !reserved.includes(k) && k !== "__proto__");
  return fc
    .tuple(
      fc.uniqueArray(fc.tuple(key, fc.jsonValue()), { selector: ([k]) => k, maxLength: 6 }),
      extra,
      fc.nat(),
    )
    .map(([entries, more, at]) => {
      const all: [string, unknown][] = [...entries];
      all.splice(at % (all.length + 1), 0, ...more);
      return Object.fromEntries(all);
    });
}

const layerFolders = fc.array(
  fc.string().map((s) => `existing-${s}`),
  { maxLength: 3 },
);
const windowsSection = objectWith(
  ["layerFolders", "hyperv"],
  fc
    .tuple(
      fc.option(fc.oneof(layerFolders, fc.constant(null)), { nil: undefined }),
      fc.option(fc.oneof(objectWith([], fc.constant([])), fc.constant(null)), { nil: undefined }),
    )
    .map(([lf, hv]) => [
      ...(lf === undefined ? [] : ([["layerFolders", lf]] as [string, unknown][])),
      ...(hv === undefined ? [] : ([["hyperv", hv]] as [string, unknown][])),
    ]),
);
const spec = objectWith(
  ["windows"],
  fc
    .option(fc.oneof(windowsSection, fc.constant(null)), { nil: undefined })
    .map((w) => (w === undefined ? [] : ([["windows", w]] as [string, unknown][]))),
);
const mount: fc.Arbitrary<RootfsMount> = fc.record({
  type: fc.constantFrom("windows-layer", "lcow-layer"),
  source: fc.string().map((s) => `scratch-${s}`),
  options: fc
    .tuple(
      fc.array(
        fc.string({ minLength: 1 }).map((s) => `parent-${s}`),
        { maxLength: 4 },
      ),
      fc.constantFrom("rw", "ro"),
    )
    .map(([parents, rw]) => [rw, `parentLayerPaths=${JSON.stringify(parents)}`]),
});

/**
 * The spec's text, split around the place where the rewrite may write: the value of `windows`, or
 * (without `windows`) the end of the last top-level member. Everything outside must stay byte-identical.
 */
function render(original: Json, indent: number | string): { text: string; prefix: string; suffix: string } {
  if (!("windows" in original)) {
    const text = JSON.stringify(original, null, indent);
    const k = text.slice(0, text.lastIndexOf("}")).trimEnd().length;
    return { text, prefix: text.slice(0, k), suffix: text.slice(k) };
  }
  const token = JSON.stringify("\u0001windows-value\u0001");
  const marked = JSON.stringify({ ...original, windows: JSON.parse(token) }, null, indent);
  const at = marked.indexOf(token);
  const prefix = marked.slice(0, at);
  const suffix = marked.slice(at + token.length);
  return { text: prefix + JSON.stringify(original["windows"], null, indent) + suffix, prefix, suffix };
}

describe("bundle writeMountsToConfig (property)", () => {
  let bundle: string;
  before(async () => {
    bundle = await makeBundle();
  });
  after(() => removeBundle(bundle));

  it("changes nothing but windows.layerFolders / windows.hyperv (outside windows: not a byte), for any spec", async () => {
    await fc.assert(
      fc.asyncProperty(spec, mount, fc.constantFrom(0, 2, "\t"), async (original, m, indent) => {
        const config = join(bundle, "config.json");
        const { text, prefix, suffix } = render(original, indent);
        await writeFile(config, text);
        await writeMountsToConfig(bundle, [m]);
        const output = await readFile(config, "utf8");
        await assertEntries(bundle, ["config.json"]);
        assert.ok(output.startsWith(prefix) && output.endsWith(suffix), "text outside windows changed");
        const result = JSON.parse(output) as Json;

        // The spec as written: JSON has no -0 (fc.jsonValue makes one, JSON.stringify writes it as 0).
        const before = JSON.parse(text) as Json & { windows?: Json | null };
        const after = result as Json & { windows: Json };
        const parents = JSON.parse((m.options[1] as string).slice("parentLayerPaths=".length)) as string[];
        const existing = (before.windows?.["layerFolders"] as string[] | null | undefined) ?? [];
        assert.deepEqual(after.windows["layerFolders"], [...existing, ...parents, m.source]);
        const hyperv = before.windows?.["hyperv"];
        if (hyperv) assert.deepEqual(after.windows["hyperv"], hyperv);
        else if (m.type === "lcow-layer") assert.deepEqual(after.windows["hyperv"], {});
        else assert.equal(after.windows["hyperv"], hyperv);

        // Inside windows too: same values, same order (compared through stringify, which keeps order).
        for (const s of [before, after]) {
          if (s.windows) {
            delete s.windows["layerFolders"];
            delete s.windows["hyperv"];
          }
        }
        if (!("windows" in original)) {
          assert.deepEqual(after.windows, {});
          delete (after as Json)["windows"];
        } else if (original["windows"] === null) {
          assert.deepEqual(after.windows, {});
          (after as Json)["windows"] = null;
        }
        assert.equal(JSON.stringify(after), JSON.stringify(before));
      }),
      { numRuns: 200 },
    );
  });
});
