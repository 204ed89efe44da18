// The Windows test selection (test/windows-selection.json): which test files can run on real Windows without
// HCS (the hosted CI job runs them natively; the test command runs them under Wine with the Windows node.exe).
// Entries are paths below the repository root, a file or a folder ending in `/`; a test file is decided by the
// LONGEST entry that is a prefix of its path, in `run` (runs on Windows) or `skip` (cannot, with the reason).
// `windowsOnly` entries (also in `run`) are never run by Linux mocha: they are meaningful only under Windows.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The selection file, relative to the repository root (the pipeline and the Wine lane name it). */
export const SELECTION_FILE = "test/windows-selection.json";

/** The arguments of scripts/run-tests.mjs that run the selection (the hosted CI job and the Wine lane). */
export const WINDOWS_SELECTION_ARGS = Object.freeze(["--selection", "windows"]);

/** Reads the selection: `{ run, skip, windowsOnly }`, each an object of path prefix → reason. */
export function loadSelection(root) {
  const raw = JSON.parse(readFileSync(join(root, SELECTION_FILE), "utf8"));
  for (const key of ["run", "skip", "windowsOnly"])
    if (!raw[key] || typeof raw[key] !== "object") throw new Error(`${SELECTION_FILE}: no "${key}" object`);
  return { run: raw.run, skip: raw.skip, windowsOnly: raw.windowsOnly };
}

/** The entry deciding `file` (a `test/....test.ts` path with `/`): `{ run, entry, reason }` or undefined. */
export function decide(selection, file) {
  let best;
  for (const [kind, entries] of [
    ["run", selection.run],
    ["skip", selection.skip],
  ])
    for (const [entry, reason] of Object.entries(entries))
      if (matches(entry, file) && (!best || entry.length > best.entry.length))
        best = { run: kind === "run", entry, reason };
  return best;
}

/** Whether `file` is in the Windows selection. */
export function selected(selection, file) {
  return decide(selection, file)?.run === true;
}

/** Whether `file` runs only in the Windows selection (never under Linux mocha). */
export function windowsOnly(selection, file) {
  return Object.keys(selection.windowsOnly).some((entry) => matches(entry, file));
}

function matches(entry, file) {
  return entry.endsWith("/") ? file.startsWith(entry) : file === entry;
}

/** A compiled test (`<dist>/test/a/b.test.js`, relative to `<dist>/test`, `/` or `\`) → `test/a/b.test.ts`. */
export function sourceOf(relativeToTestRoot) {
  return `test/${relativeToTestRoot.replaceAll("\\", "/").replace(/\.js$/, ".ts")}`;
}
