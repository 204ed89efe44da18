#!/usr/bin/env node
// Runs the compiled mocha tests (dist/test/**/*.test.js) and ends with one plain line `N passed, N failed`.
// Arguments are substrings of test file paths to select (e.g. `node scripts/run-tests.mjs ttrpc/`).
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import Mocha from "mocha";

const root = new URL("..", import.meta.url).pathname;
// DIST: another tsc outDir (parallel builds); tests find the repo root as the current directory.
const testRoot = join(process.env.DIST ?? join(root, "dist"), "test");
const filters = process.argv.slice(2);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (entry.name.endsWith(".test.js")) yield p;
  }
}

const files = [...walk(testRoot)]
  .filter((f) => filters.length === 0 || filters.some((s) => relative(testRoot, f).includes(s)))
  .sort();
const mocha = new Mocha({ reporter: "spec", timeout: 30_000, slow: 2_000 });
for (const f of files) mocha.addFile(f);
await mocha.loadFilesAsync();

let passed = 0;
let failed = 0;
let skipped = 0;
const runner = mocha.run(() => {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  // Open handles left by a test must not hang CI; leaks are asserted by the tests themselves.
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
});
runner.on("pass", () => passed++);
runner.on("fail", () => failed++);
runner.on("pending", () => skipped++);
