/**
 * The Windows test selection (test/windows-selection.json): every test file under test/ is decided (runs on
 * Windows, or a reason why not), and scripts/run-tests.mjs selects exactly those files, for the hosted CI job
 * (natively) and for the Wine lane of the test command (under Wine) alike.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface Decision {
  run: boolean;
  entry: string;
  reason: string;
}
interface Selection {
  run: Record<string, string>;
  skip: Record<string, string>;
  windowsOnly: Record<string, string>;
}
interface SelectionModule {
  SELECTION_FILE: string;
  WINDOWS_SELECTION_ARGS: readonly string[];
  loadSelection(root: string): Selection;
  decide(s: Selection, file: string): Decision | undefined;
  windowsOnly(s: Selection, file: string): boolean;
}

function testFiles(dir = "test"): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
    )
    .map((f) => f.replaceAll("\\", "/"))
    .sort();
}

/** `node scripts/run-tests.mjs --list ...args`: the files a run would load, as `test/....test.ts`. */
function listed(...args: string[]): string[] {
  const out = execFileSync(process.execPath, ["scripts/run-tests.mjs", "--list", ...args], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean).sort();
}

describe("the Windows test selection", () => {
  let m: SelectionModule;
  let sel: Selection;
  before(async () => {
    m = (await import(pathToFileURL("scripts/run-tests/selection.mjs").href)) as SelectionModule;
    sel = m.loadSelection(".");
  });

  it("decides every test file under test/, each skip with a reason", () => {
    for (const file of testFiles()) {
      const d = m.decide(sel, file);
      assert.ok(d, `${file}: not in ${m.SELECTION_FILE} (add it to run or skip)`);
      if (!d.run) assert.ok(d.reason.length > 10, `${file}: skipped by ${d.entry} without a reason`);
    }
  });

  it("has no entry that matches no test file; Windows-only entries are selected", () => {
    const files = testFiles();
    for (const entry of [...Object.keys(sel.run), ...Object.keys(sel.skip), ...Object.keys(sel.windowsOnly)])
      assert.ok(
        files.some((f) => (entry.endsWith("/") ? f.startsWith(entry) : f === entry)),
        `${entry} matches no test`,
      );
    for (const file of files.filter((f) => m.windowsOnly(sel, f)))
      assert.equal(m.decide(sel, file)?.run, true, `${file} is Windows-only but not selected`);
  });

  it("runs the Wine lane's drivers, ttrpc over named pipes and the Windows platform code", () => {
    const run = testFiles().filter((f) => m.decide(sel, f)?.run);
    for (const f of [
      "test/wine/shim.test.ts",
      "test/wine/shim-exe.test.ts",
      "test/wine/ttrpc.test.ts",
      "test/wine/waiter.test.ts",
      "test/wine/tree.test.ts",
      "test/wine/stdio.test.ts",
      "test/unit/ttrpc/server.test.ts",
    ])
      assert.ok(run.includes(f), `${f} is not in the Windows selection`);
  });

  it("run-tests.mjs --selection windows lists exactly the selected files (the compiled tree)", () => {
    const expected = testFiles().filter((f) => m.decide(sel, f)?.run);
    assert.deepEqual(listed(...m.WINDOWS_SELECTION_ARGS), expected);
  });

  it("a Linux run leaves the Windows-only files to the Wine-hosted selection", function () {
    if (process.platform === "win32") this.skip(); // on Windows they run in the same mocha
    const linux = listed();
    assert.ok(linux.length > 50);
    assert.deepEqual(
      linux.filter((f) => m.windowsOnly(sel, f)),
      [],
    );
    assert.ok(linux.includes("test/unit/ci/windows-selection.test.ts"));
  });
});
