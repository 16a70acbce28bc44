#!/usr/bin/env bash
# Regenerates the example deployment in tenants-example/pingliang: the data files from
# examples/generate.rs (deterministic: the same bytes every run) and the two plugin components
# from their sources with `onedoor plugin build` (needs the wasm32-unknown-unknown target,
# which rust-toolchain.toml lists). Run from anywhere; commit the result.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo run --quiet -p onedoor-tenants-example --example generate
mkdir -p tenants-example/pingliang/plugins
for plugin in pingliang-rules kongtong-rules; do
    built=$(cargo run --quiet --bin onedoor -- plugin build "plugins/$plugin")
    cp "$built" "tenants-example/pingliang/plugins/$plugin.wasm"
done
cargo run --quiet --bin onedoor -- plugin check tenants-example/pingliang/plugins/pingliang-rules.wasm >/dev/null
cargo run --quiet --bin onedoor -- plugin check tenants-example/pingliang/plugins/kongtong-rules.wasm >/dev/null
echo "regenerated tenants-example/pingliang"
