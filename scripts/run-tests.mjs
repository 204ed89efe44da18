#!/usr/bin/env node
// Runs the compiled mocha tests (dist/test/**/*.test.js) and ends with one plain line `N passed, N failed`.
//
//   node scripts/run-tests.mjs [filter...]                       Linux (or any host) run
//   node scripts/run-tests.mjs --selection windows [filter...]   the Windows selection (test/windows-selection.json)
//
// Filters are substrings of test file paths (e.g. `ttrpc/`); without filters every test runs.
// On Windows, `--selection windows` runs the selection natively (the hosted CI job). Elsewhere it runs it under
// Wine: mocha itself runs as `wine64 node.exe scripts/run-tests.mjs --selection windows` with the Windows node
// of the Wine lane (scripts/run-tests/wine-host.mjs), and its counts are folded into this run's last line.
// Without `--selection`, a Linux run leaves out the selection's Windows-only files (test/wine) and runs, alongside
// its own tests, the Wine-hosted selection: all of it when there are no filters, else its files matching the
// filters when they reach a Windows-only file. `--no-wine` leaves the Wine-hosted run out.
// `--list` prints the files the run would load here (`--selection windows`: the selection's) and exits.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import Mocha from "mocha";
import {
  loadSelection,
  SELECTION_FILE,
  selected,
  sourceOf,
  WINDOWS_SELECTION_ARGS,
  windowsOnly,
} from "./run-tests/selection.mjs";
import { runUnderWine } from "./run-tests/wine-host.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// DIST: another tsc outDir (parallel builds); tests find the repo root as the current directory.
const testRoot = join(process.env.DIST ?? join(root, "dist"), "test");

const args = process.argv.slice(2);
let selectionName;
let wine = true;
let list = false;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--selection") selectionName = args[++i];
  else if (args[i] === "--no-wine") wine = false;
  else if (args[i] === "--list") list = true;
  else filters.push(args[i]);
}
if (selectionName !== undefined && selectionName !== "windows") {
  console.error(`run-tests: unknown selection ${selectionName} (known: windows, from ${SELECTION_FILE})`);
  process.exit(2);
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (entry.name.endsWith(".test.js")) yield p;
  }
}

/** Compiled test files matching the filters, each with its `/`-normalised path below dist/test. */
const matching = [...walk(testRoot)]
  .map((abs) => ({ abs, rel: relative(testRoot, abs).replaceAll("\\", "/") }))
  .filter(({ rel }) => filters.length === 0 || filters.some((s) => rel.includes(s)))
  .sort((a, b) => (a.rel < b.rel ? -1 : 1));
const selection = loadSelection(root);
const inSelection = matching.filter(({ rel }) => selected(selection, sourceOf(rel)));

/** What runs in this process, and whether the Wine-hosted selection runs after it. */
let here;
let hosted = false;
if (selectionName === "windows" && process.platform === "win32") here = inSelection;
else if (selectionName === "windows") {
  here = [];
  hosted = true;
} else {
  here = matching.filter(({ rel }) => process.platform === "win32" || !windowsOnly(selection, sourceOf(rel)));
  hosted =
    wine &&
    process.platform !== "win32" &&
    (filters.length === 0 || inSelection.some(({ rel }) => windowsOnly(selection, sourceOf(rel))));
}

if (list) {
  for (const { rel } of selectionName ? inSelection : here) console.log(sourceOf(rel));
  process.exit(0);
}

// The Wine-hosted selection runs at the same time as the tests here (both mostly wait on processes: the
// machine's cores are far from busy with either alone); its output is held and printed after theirs.
const wineOutput = [];
const wineRun =
  hosted && inSelection.length > 0
    ? runUnderWine(
        root,
        [...WINDOWS_SELECTION_ARGS, ...filters],
        here.length > 0 ? { write: (s) => wineOutput.push(s) } : undefined,
      )
    : undefined;
const counts =
  here.length > 0 ? await runMocha(here.map(({ abs }) => abs)) : { passed: 0, failed: 0, skipped: 0 };
if (wineRun) {
  if (here.length > 0) console.log("\n(waiting for the Wine-hosted Windows selection, started alongside)");
  const w = await wineRun;
  process.stdout.write(wineOutput.join(""));
  counts.passed += w.passed;
  counts.failed += w.failed;
  counts.skipped += w.skipped;
}
const { passed, failed, skipped } = counts;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
// Open handles left by a test must not hang CI; leaks are asserted by the tests themselves.
process.exit(failed > 0 || passed === 0 ? 1 : 0);

/** Runs mocha in this process on `files`; resolves with its counts (no summary line printed). */
async function runMocha(files) {
  const mocha = new Mocha({ reporter: "spec", timeout: 30_000, slow: 2_000 });
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const c = { passed: 0, failed: 0, skipped: 0 };
  await new Promise((resolve) => {
    const runner = mocha.run(resolve);
    runner.on("pass", () => c.passed++);
    runner.on("fail", () => c.failed++);
    runner.on("pending", () => c.skipped++);
  });
  return c;
}
