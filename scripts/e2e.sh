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
(cd end2end && { { [ -d node_modules/@playwright/test ] && [ -d node_modules/axe-core ]; } || npm ci --no-audit --no-fund --loglevel=error; })

export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$PWD/target/site}"
export LEPTOS_ENV=PROD
servers=()
cleanup() {
  # The server stops within its 10 s grace period; a process that does not
  # is killed, so a stuck request can never hang the test command.
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Starts the release server in demo mode on a fresh database on port $1;
# its log is $2.
start_server() {
  local port="$1" log="$2" dir
  dir="$(dirname "$log")"
  # No scheduled end-of-day batch: the journeys must not depend on the hour.
  LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/puhui.db?mode=rwc" \
    PUHUI_EOD_AT=off "$CARGO_TARGET_DIR/release/puhui" --demo serve >"$log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "${servers[-1]}" 2>/dev/null || { cat "$log"; return 1; }
    sleep 0.5
  done
  echo "server did not start"; cat "$log"; return 1
}

port="${PUHUI_E2E_PORT:-3100}"
log="$(mktemp -d)/server.log"
start_server "$port" "$log"
status=0
(cd end2end && PUHUI_E2E_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
if [ $status -ne 0 ]; then echo "--- server log"; tail -50 "$log"; exit $status; fi

# Soak: every page under 50 concurrent requests on a server of its own
# (bounded: 6 s on each kind of page, then 2 x 8 s mixed; about 2 minutes);
# fails if the server stops answering.
soak_port="${PUHUI_SOAK_PORT:-3101}"
soak_log="$(mktemp -d)/server.log"
start_server "$soak_port" "$soak_log"
(cd end2end && PUHUI_SOAK_URL="http://127.0.0.1:$soak_port" node soak.mjs) || status=$?
if [ $status -ne 0 ]; then echo "--- soak server log"; tail -50 "$soak_log"; fi
exit $status
