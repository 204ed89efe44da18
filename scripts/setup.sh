#!/usr/bin/env bash
# Installs what the demo and the tests need, on a fresh machine or an old one: npm packages (npm ci when
# node_modules is missing or older than package-lock.json) and the Debian packages (containerd + ctr, Go and
# the Go sources of containerd's ttrpc for the interop peers). Idempotent; quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

APT_PACKAGES=(containerd golang-go golang-github-containerd-ttrpc-dev golang-github-containerd-containerd-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# wine64 runs the Windows build (node.exe, the .exe) here: best effort, so that a machine that cannot install
# it still runs everything else; the Windows lanes then skip with a message saying so.
if [ ! -x /usr/lib/wine/wine64 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing wine64 (for the Windows lanes)" >&2
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wine64; } >&2 ||
    echo "setup: wine64 could not be installed: the Windows-under-Wine tests will skip" >&2
fi
