#!/usr/bin/env node
// Regenerates src/gen from proto/ with buf + protoc-gen-es (both from node_modules, offline).
// Deterministic: running it twice changes nothing.
//
//   node scripts/gen.mjs                      regenerate src/gen (generated in a temp dir, then swapped in,
//                                             so a failed generation leaves src/gen untouched)
//   node scripts/gen.mjs --check [--against D] generate into a temp dir and compare with src/gen (or D);
//                                             prints every stale, missing and extra file, exits 1 if any
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
/** Where buf.gen.yaml puts the output, relative to the repo root (and to `buf generate -o`). */
const GEN = join("src", "gen");

/** Runs `buf generate` with its output rooted at `outBase`; returns the generated tree's path. */
function generateInto(outBase) {
  execFileSync(join(bin, "buf"), ["generate", "-o", outBase], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
  });
  return join(outBase, GEN);
}

/** Relative paths of all files below `dir` ([] when it does not exist), sorted. */
function listFiles(dir, base = dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
  return entries
    .flatMap((e) =>
      e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
    )
    .sort();
}

/** Compares two trees: files differing in content, only in `fresh` (missing), only in `current` (extra). */
function compareTrees(fresh, current) {
  const want = listFiles(fresh);
  const have = new Set(listFiles(current));
  const stale = [];
  const missing = [];
  for (const f of want) {
    if (!have.has(f)) missing.push(f);
    else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(current, f)))) stale.push(f);
    have.delete(f);
  }
  return { stale, missing, extra: [...have].sort() };
}

const args = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), "shim-gen-"));
try {
  const fresh = generateInto(tmp);
  if (args[0] === "--check") {
    const i = args.indexOf("--against");
    const current = i >= 0 && args[i + 1] ? resolve(args[i + 1]) : join(root, GEN);
    const { stale, missing, extra } = compareTrees(fresh, current);
    const lines = [
      ...stale.map((f) => `stale:   ${join(GEN, f)}`),
      ...missing.map((f) => `missing: ${join(GEN, f)}`),
      ...extra.map((f) => `extra:   ${join(GEN, f)}`),
    ];
    if (lines.length > 0) {
      console.log(`${lines.join("\n")}\nsrc/gen is out of date with proto/: run \`npm run gen\` and commit.`);
      process.exitCode = 1;
    } else {
      console.log(`src/gen is up to date (${listFiles(fresh).length} files)`);
    }
  } else {
    rmSync(join(root, GEN), { recursive: true, force: true });
    cpSync(fresh, join(root, GEN), { recursive: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
