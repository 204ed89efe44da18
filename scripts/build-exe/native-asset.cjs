// Runtime part of the single executable (bundled into it, never run from here): a Node single executable
// application cannot load a native addon from inside its blob, so the addon travels as an SEA asset and is
// written once to a cache directory under a content-hashed name (atomic: temp file + rename), then loaded
// with process.dlopen. Concurrent shims race harmlessly: the same name always holds the same bytes.
//
// Where, given that whoever can write that directory can run code in the shim (containerd runs it as
// SYSTEM on Windows):
// - Windows: `<directory of the executable>\containerd-shim-runhcs-v1-native`. It inherits the ACL of the
//   executable's own directory, and that directory is trusted already: Windows searches the application
//   directory first for the DLLs node.exe imports that are not KnownDLLs (dbghelp, IPHLPAPI, USERENV,
//   WINMM), so anyone who can write there controls the process before any of our code runs. Installed
//   under `C:\Program Files\...` only SYSTEM, Administrators and TrustedInstaller can write it. Never
//   %TEMP% or %LOCALAPPDATA% (a service's profile, or a user's): an override naming a directory under the
//   temp directory is refused (checked before anything is written or loaded). An ACL cannot be read before
//   the addon that reads ACLs is loaded, hence a location whose safety follows from the executable's own.
// - posix: `$XDG_CACHE_HOME` or `~/.cache`, `containerd-shim-runhcs-v1/native`, which must be a directory
//   of this user with mode 0700 (no group/other write) in a parent others cannot write (or a sticky one),
//   checked before every load.
// CONTAINERD_SHIM_RUNHCS_CACHE_DIR overrides the directory (tests, read-only installs), with the same checks.
"use strict";
const { createHash, randomBytes } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** Overrides the cache directory (tests, read-only homes). */
const CACHE_ENV = "CONTAINERD_SHIM_RUNHCS_CACHE_DIR";
const APP = "containerd-shim-runhcs-v1";

function defaultCacheDir() {
  if (process.platform === "win32") return path.join(path.dirname(process.execPath), `${APP}-native`);
  let base = process.env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = path.join(os.homedir(), ".cache");
    } catch {
      base = os.tmpdir();
    }
  }
  return path.join(base, APP, "native");
}

/** Whether `dir` is `parent` or below it (Windows: case-insensitive). */
function isWithin(dir, parent) {
  const rel = path.relative(path.resolve(parent).toLowerCase(), path.resolve(dir).toLowerCase());
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The directory must not be writable by anyone else: we load code from it (see the module comment). */
function ensurePrivateDir(dir) {
  if (process.platform === "win32") {
    const temps = [os.tmpdir(), process.env.TEMP, process.env.TMP].filter(Boolean);
    if (temps.some((t) => isWithin(dir, t))) {
      throw new Error(
        `${dir} is in the temporary directory, which other users may write; set ${CACHE_ENV} to a ` +
          "directory only SYSTEM and Administrators can write, or unset it (default: beside the executable)",
      );
    }
    fs.mkdirSync(dir, { recursive: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid() || (st.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} is not a private directory of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); ` +
        `set ${CACHE_ENV} to another directory`,
    );
  }
  // Nobody else may rename it away either: its parent is not writable by others, or sticky (like /tmp).
  const parent = fs.statSync(path.dirname(dir));
  if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0) {
    throw new Error(
      `${dir} is in ${path.dirname(dir)}, which others may write (mode ${(parent.mode & 0o7777).toString(8)}); ` +
        `set ${CACHE_ENV} to another directory`,
    );
  }
}

function holds(file, bytes) {
  try {
    return fs.readFileSync(file).equals(bytes);
  } catch {
    return false;
  }
}

function writeAtomic(file, bytes) {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes, { mode: 0o755 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    // Windows: another shim may hold the (identical) file open; then it is already right.
    if (!holds(file, bytes)) throw err;
  }
}

/**
 * Loads the native addon stored as SEA asset `key` and returns its exports. Throws a message naming the
 * asset and the directory when it cannot (not a single executable, asset missing, cache not writable).
 */
function loadNativeAsset(key) {
  const sea = require("node:sea");
  if (!sea.isSea()) throw new Error(`native addon ${key} is only embedded in the single executable`);
  let bytes;
  try {
    bytes = Buffer.from(sea.getAsset(key));
  } catch (err) {
    throw new Error(`this executable has no embedded ${key} (built for another platform?): ${err.message}`);
  }
  const dir = process.env[CACHE_ENV] || defaultCacheDir();
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
  const ext = path.extname(key);
  const file = path.join(dir, `${path.basename(key, ext)}-${hash}${ext}`);
  try {
    ensurePrivateDir(dir);
    if (!holds(file, bytes)) writeAtomic(file, bytes);
  } catch (err) {
    throw new Error(`cannot write the native addon ${key} to ${dir}: ${err.message}`);
  }
  const mod = { exports: {} };
  process.dlopen(mod, file);
  return mod.exports;
}

module.exports = { loadNativeAsset, CACHE_ENV };
