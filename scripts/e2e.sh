#!/usr/bin/env bash
# Starts the release server on a fresh demo database and runs the Playwright
# journeys against it. Installs Debian chromium, a CJK font and the npm
# packages when missing (never Playwright's own browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
(cd end2end && { [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund --loglevel=error; })

port="${PUHUI_E2E_PORT:-3100}"
workdir="$(mktemp -d)"
log="$workdir/server.log"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$PWD/target/site}"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export LEPTOS_ENV=PROD
DATABASE_URL="sqlite://$workdir/puhui.db?mode=rwc" "$CARGO_TARGET_DIR/release/puhui" --demo serve >"$log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "server did not start"; cat "$log"; exit 1; }
status=0
(cd end2end && PUHUI_E2E_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
if [ $status -ne 0 ]; then echo "--- server log"; tail -50 "$log"; fi
exit $status
