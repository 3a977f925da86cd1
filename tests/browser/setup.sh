#!/usr/bin/env bash
# Installs playwright-core (npm) for the browser tests when it is missing; Chromium comes from Debian.
set -euo pipefail
cd "$(dirname "$0")"
[ -f package.json ] || exit 0
[ -d node_modules/playwright-core ] && exit 0
npm install --no-audit --no-fund --silent
