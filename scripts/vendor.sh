#!/usr/bin/env bash
# Copies the browser libraries we serve from our own origin into public/vendor.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f public/vendor/echarts.min.js ]; then
  echo "==> vendoring echarts from npm"
  (cd vendor && npm ci --no-audit --no-fund --loglevel=error)
  mkdir -p public/vendor
  cp vendor/node_modules/echarts/dist/echarts.min.js public/vendor/echarts.min.js
fi
