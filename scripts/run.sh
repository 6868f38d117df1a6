#!/usr/bin/env bash
# The run command: install what is missing, build release, migrate and load
# the demo bank into data/puhui.db on first start, serve on 127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
./scripts/install-tools.sh
./scripts/install-ocr.sh || echo "no Tesseract: the demo reads ID cards with its development reader"
./scripts/vendor.sh
echo "==> building release (first time ~8 min on 2 cores)"
cargo leptos build --release
mkdir -p data
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export LEPTOS_ENV=PROD
# Demo mode: the demo bank, development providers and secrets (never for a real bank).
exec "$CARGO_TARGET_DIR/release/puhui" --demo serve "$@"
