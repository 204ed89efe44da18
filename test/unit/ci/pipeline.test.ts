import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";

const PIPELINE = "azure-pipelines.yml";

/** Every `script:` step of the pipeline, with the job it belongs to. */
function scriptSteps(node: unknown, job = ""): Array<{ job: string; script: string }> {
  if (Array.isArray(node)) return node.flatMap((n) => scriptSteps(n, job));
  if (!node || typeof node !== "object") return [];
  const obj = node as Record<string, unknown>;
  const here = typeof obj.job === "string" ? obj.job : job;
  const own = typeof obj.script === "string" ? [{ job: here, script: obj.script }] : [];
  return [...own, ...Object.values(obj).flatMap((v) => scriptSteps(v, here))];
}

/** Test files below test/ (paths with forward slashes), for run-tests.mjs filters. */
function testFiles(dir = "test"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
  );
}

describe("azure-pipelines.yml", () => {
  const pipeline = parse(readFileSync(PIPELINE, "utf8")) as { jobs: unknown[] };
  const steps = scriptSteps(pipeline);
  const npmScripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> })
    .scripts;

  it("has the Linux, hosted Windows and Hyper-V jobs", () => {
    assert.deepEqual([...new Set(steps.map((s) => s.job))], ["linux", "windows_hosted", "windows_hyperv"]);
  });

  it("every file a script step names exists", () => {
    const named = steps.flatMap(({ script }) =>
      script.split(/\s+/).filter((t) => /^(scripts|test|bin)[/\\]/.test(t)),
    );
    assert.ok(named.length >= 4, `only ${named.length} paths found`);
    for (const path of named)
      assert.ok(existsSync(path.replaceAll("\\", "/")), `${PIPELINE} names ${path}: missing`);
  });

  it("every npm script it runs is defined in package.json", () => {
    const runs = steps.flatMap(({ script }) => [...script.matchAll(/npm run (\S+)/g)].map((m) => m[1]!));
    assert.ok(runs.includes("build:exe"));
    for (const name of runs) assert.ok(npmScripts[name], `npm run ${name}: not in package.json`);
  });

  it("every run-tests.mjs filter selects at least one test file; every option is known", () => {
    const files = testFiles().map((f) => f.replaceAll("\\", "/"));
    for (const { script } of steps.filter((s) => s.script.includes("run-tests.mjs"))) {
      const words = script.split(/\s+/);
      const args = words.slice(words.indexOf("scripts/run-tests.mjs") + 1);
      assert.ok(args.length > 0);
      for (let i = 0; i < args.length; i++) {
        if (args[i] === "--selection") assert.equal(args[++i], "windows", `unknown selection in ${script}`);
        else {
          assert.ok(!args[i]!.startsWith("-"), `unknown option ${args[i]} in ${script}`);
          assert.ok(
            files.some((p) => p.includes(args[i]!)),
            `filter ${args[i]} selects no test`,
          );
        }
      }
    }
  });

  it("the hosted Windows job runs the whole Windows selection, with the arguments the Wine lane uses", async () => {
    const { WINDOWS_SELECTION_ARGS, SELECTION_FILE } = (await import(
      pathToFileURL("scripts/run-tests/selection.mjs").href
    )) as { WINDOWS_SELECTION_ARGS: readonly string[]; SELECTION_FILE: string };
    const hosted = steps.filter((s) => s.job === "windows_hosted" && s.script.includes("run-tests.mjs"));
    assert.deepEqual(
      hosted.map((s) => s.script.trim()),
      [["node", "scripts/run-tests.mjs", ...WINDOWS_SELECTION_ARGS].join(" ")],
    );
    assert.ok(existsSync(SELECTION_FILE));
    // The Wine lane (scripts/run-tests/wine-host.mjs, started by run-tests.mjs) passes the same constant.
    const runner = readFileSync("scripts/run-tests.mjs", "utf8");
    assert.match(runner, /runUnderWine\(\s*root,\s*\[\.\.\.WINDOWS_SELECTION_ARGS, \.\.\.filters\][,)]/);
    // The hosted job builds the .exe before the selection runs.
    const order = steps.filter((s) => s.job === "windows_hosted").map((s) => s.script);
    assert.ok(order.indexOf("npm run build:exe") < order.findIndex((s) => s.includes("run-tests.mjs")));
  });

  it("the Linux job runs the README's test command", () => {
    const readmeTest = readFileSync("README.md", "utf8").match(/^(bash scripts\/test)\b/m)?.[1];
    assert.ok(readmeTest, "README has no test command line");
    assert.ok(steps.some((s) => s.job === "linux" && s.script.trim() === readmeTest));
  });

  it("the .exe the Windows jobs smoke-test is what build:exe produces", () => {
    const builder = readFileSync(npmScripts["build:exe"]!.replace(/^node /, ""), "utf8");
    assert.ok(builder.includes("containerd-shim-runhcs-v1"), "build:exe does not name the shim binary");
    const exe = steps.flatMap(({ script }) => script.match(/build\\containerd-shim-runhcs-v1\.exe/g) ?? []);
    assert.ok(exe.length >= 2);
  });
});
