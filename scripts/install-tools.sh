#!/usr/bin/env bash
# Installs the pinned build tools that are missing; skips what is present.
# First run on a fresh 2-core machine: ~25 min (cargo-leptos ~14, wasm-opt ~6,
# wasm-bindgen ~3). Versions are pinned in docs/architecture (see README).
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
WASM_OPT_VERSION=0.116.1

have_version() { # tool, expected version string
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"
}

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  echo "==> adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  echo "==> installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~3 min)"
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi
if ! have_version wasm-opt "version 116"; then
  echo "==> installing wasm-opt $WASM_OPT_VERSION (~6 min)"
  cargo install wasm-opt --version "=$WASM_OPT_VERSION" --locked --force
fi
if ! have_version cargo-leptos "$CARGO_LEPTOS_VERSION"; then
  echo "==> installing cargo-leptos $CARGO_LEPTOS_VERSION (~14 min)"
  cargo install cargo-leptos --version "=$CARGO_LEPTOS_VERSION" --locked --force
fi
