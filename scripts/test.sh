#!/usr/bin/env bash
# The test command: every test, in layers.
#   1. format and lints (clippy -D warnings, server and browser builds)
#   2. domain unit and property tests
#   3. service tests on SQLite, and on PostgreSQL when PUHUI_TEST_PG_URL is set
#   4. app and server-function/API tests (real server on port 0)
#   5. release build, then Playwright journeys in Debian Chromium
#      (customer 390x844, staff 1440x900), screenshots in end2end/screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

step "tools"
./scripts/install-tools.sh
./scripts/install-ocr.sh
./scripts/vendor.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy -p puhui-domain -p puhui-service -p puhui-server --all-targets -- -D warnings
cargo clippy -p puhui-app --features ssr --all-targets -- -D warnings
cargo clippy -p puhui-frontend --target wasm32-unknown-unknown -- -D warnings

step "domain tests"
cargo test -p puhui-domain

step "service tests (SQLite${PUHUI_TEST_PG_URL:+ and PostgreSQL})"
cargo test -p puhui-service

step "app and server-function tests"
cargo test -p puhui-app --features ssr
cargo test -p puhui-server

step "release build"
cargo leptos build --release

step "end-to-end (Playwright, Debian Chromium)"
./scripts/e2e.sh

step "all tests passed in $(( $(date +%s) - started ))s"
