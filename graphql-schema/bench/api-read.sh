#!/usr/bin/env bash
# Read throughput of the GraphQL API over HTTP, on SQLite with the example deployment:
# `{ __typename }` (the transport alone), `{ centres { code name } }` (one small query), and
# the PostGraphile peer's read shape (first 20 matters of a centre with their unit names).
# Needs wrk (`apt-get install -y wrk`). Usage: graphql-schema/bench/api-read.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/onedoor/target}"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin onedoor
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
(cd "$work" && exec "$CARGO_TARGET_DIR/release/onedoor" serve --example --listen "127.0.0.1:$port" >serve.log 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

run() { # name, GraphQL document (JSON-escaped)
    cat >"$work/q.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"$2"}'
LUA
    wrk -t2 -c32 -d3s -s "$work/q.lua" "http://127.0.0.1:$port/graphql" >/dev/null # warm-up
    local out
    out=$(wrk -t2 -c32 -d"${seconds}s" --latency -s "$work/q.lua" "http://127.0.0.1:$port/graphql")
    printf '%-10s %10s req/s   p50 %8s   p99 %8s\n' "$1" \
        "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
        "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}

echo "onedoor API read, SQLite, example deployment, wrk -t2 -c32 -d${seconds}s ($(date -u +%F))"
run typename '{ __typename }'
run centres '{ centres { code name } }'
run matters '{ matters(centre: \\"pingliang\\", first: 20) { edges { node { id code name ownerUnit { id name } } } } }'
echo "server RSS after the runs: $(($(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024)) MiB"
