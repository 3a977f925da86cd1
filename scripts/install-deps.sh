#!/usr/bin/env bash
# Installs the Debian 12 packages herald needs to build and test, only those missing.
# Needs root (or sudo) when something is missing; says so clearly otherwise.
set -euo pipefail

packages=(cmake g++ make pkg-config libboost1.81-dev libcli11-dev nlohmann-json3-dev libspdlog-dev
          libgtest-dev libgmock-dev libssl-dev libhiredis-dev redis-server curl)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium python3)  # python3: examples/app.py, which browser.examples runs
  # Node.js may come from elsewhere (a nodesource build bundles npm and conflicts with
  # Debian's npm package): install Debian's only when the commands are missing.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
if [ "${1:-}" = "--fuzz" ]; then
  # libFuzzer with ASan/UBSan: clang and its runtime libraries (make fuzz, make fuzz-smoke).
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "herald: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "herald: these packages are missing and installing them needs root:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
