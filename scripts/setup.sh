#!/usr/bin/env bash
# Install what shopsync needs on Debian (bookworm) and build it.
#   scripts/setup.sh [--sanitize] [--browser]
#   --sanitize  also build build-asan/ with AddressSanitizer + UBSan
#   --browser   also install Chromium and playwright-core for the browser test
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
browser=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --browser) browser=1 ;;
    *) echo "usage: scripts/setup.sh [--sanitize] [--browser]" >&2; exit 2 ;;
  esac
done

packages=(build-essential cmake pkg-config libcivetweb-dev civetweb libcurl4-openssl-dev
          libjansson-dev libssl-dev libhiredis-dev libphonenumber-dev redis-server redis-tools libcmocka-dev
          python3 curl openssl ca-certificates)
[ "$sanitize" = 1 ] && packages+=(clang libclang-rt-dev)
if [ "$browser" = 1 ]; then
  packages+=(chromium)
  # Node may come from another packaging that bundles npm; add Debian's only
  # when the commands are missing.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The browser test registers with ctest only when playwright-core is there,
# so it is installed before cmake configures.
if [ "$browser" = 1 ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
if [ "$sanitize" = 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSHOPSYNC_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
fi
