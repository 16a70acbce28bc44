#!/usr/bin/env bash
# Regenerates the example deployment's data files in tenants-example/pingliang from
# examples/generate.rs (deterministic: the same bytes every run). The two plugins are not
# generated here: the crate's build script builds them from source. Run from anywhere; commit
# the result.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo run --quiet -p onedoor-tenants-example --example generate
echo "regenerated tenants-example/pingliang"
