/**
 * The layering of src/ (.dependency-cruiser.cjs, checked with dependency-cruiser): ttrpc knows nothing of
 * containerd, platform and process import nothing above them, the shim is on top, its `delete` action does not
 * reach the service, no cycles. The rules are also run against a small tree that breaks each of them, so a
 * rule that matches nothing fails here.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { cruise, type IConfiguration, type ICruiseResult } from "dependency-cruiser";

const config = createRequire(import.meta.url)(resolve(".dependency-cruiser.cjs")) as IConfiguration;

async function violations(baseDir: string, withTsConfig: boolean): Promise<string[]> {
  const { forbidden, options } = config;
  const { tsConfig, ...rest } = options ?? {};
  const result = await cruise(["src"], {
    ...rest,
    ...(withTsConfig && tsConfig ? { tsConfig } : {}),
    baseDir,
    ruleSet: { forbidden: forbidden ?? [] },
    validate: true,
  });
  const out = result.output as ICruiseResult;
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe("layering of src/ (dependency-cruiser)", function () {
  this.timeout(120_000);

  it("src/ keeps every rule", async () => {
    assert.deepEqual(await violations(process.cwd(), true), []);
  });

  it("each rule catches its violation in a tree made to break it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "layering-"));
    try {
      const files: Record<string, string> = {
        "src/errdefs.ts": "export const e = 1;\n",
        "src/ttrpc/server.ts": 'import { s } from "../service/task.js";\nexport const t = s;\n',
        "src/platform/windows.ts": 'import { r } from "../runhcs/runhcs.js";\nexport const p = r;\n',
        "src/process/init.ts": 'import { p } from "../platform/windows.js";\nexport const i = p;\n',
        "src/runhcs/runhcs.ts": 'import { m } from "../shim/main.js";\nexport const r = m;\n',
        "src/service/task.ts": 'import { c } from "../bundle/a.js";\nexport const s = c;\n',
        "src/bundle/a.ts": 'import { d } from "./b.js";\nexport const c = d;\n',
        "src/bundle/b.ts":
          'import { c } from "./a.js";\nimport { f } from "../../test/fake.js";\nexport const d = c ?? f;\n',
        "src/shim/main.ts": "export const m = 1;\n",
        "src/shim/delete.ts": 'import { q } from "./probe.js";\nexport const x = q;\n',
        "src/shim/probe.ts": 'import { s } from "../service/task.js";\nexport const q = s;\n',
        "test/fake.ts": "export const f = 1;\n",
      };
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const found = new Set((await violations(dir, false)).map((v) => v.split(":")[0]));
      for (const rule of config.forbidden ?? [])
        assert.ok(found.has(rule.name ?? ""), `rule ${rule.name} caught nothing`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
