# Shared environment for the run and test scripts (sourced, not executed).
export PATH="$HOME/.cargo/bin:$PATH"
# Builds live outside the clone so a later run on the same machine reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/puhui-target}"
export LEPTOS_OUTPUT_NAME=puhui
export LEPTOS_SITE_PKG_DIR=pkg
