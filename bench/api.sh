#!/usr/bin/env bash
# The API read/write benchmark of issue 7, against the PostGraphile peer, as one command.
#
#   bench/api.sh [SECONDS]         (default 15 s per run, 3 runs per figure like the peer)
#
# 1. The PostGraphile peer (../shared/peers/postgraphile), when a copy is set up in
#    $PEER_DIR (default /tmp/onedoor-peer: `cp -r ../shared/peers/postgraphile /tmp/onedoor-peer
#    && cd /tmp/onedoor-peer && npm install && ./setup.sh`), is run first, with its own
#    query.lua (first 20 matters of a tenant with their unit names) and mutation.lua (create a
#    matter).
# 2. onedoor (release build, `serve --example`: the full Pingliang deployment) on SQLite, then
#    on PostgreSQL ($ONEDOOR_BENCH_PG, default postgres://postgres@127.0.0.1:5432, a fresh
#    database each run), with the same shapes: `matters(centre: "pingliang", first: 20)` with
#    `ownerUnit { id name }`, and `addMatter` with a unique code per request, as the city admin.
# Same load for all: wrk -t2 -c32, a 3 s warm-up, SECONDS per run, 3 runs; the median run is
# printed. Server RSS: the peak (VmHWM) of the serving process after the runs, and its RSS then. Needs wrk and bc (apt-get install -y
# wrk bc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-15}
peer=${PEER_DIR:-/tmp/onedoor-peer}
pg=${ONEDOOR_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk bc" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/onedoor/target}"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin onedoor
bin="$CARGO_TARGET_DIR/release/onedoor"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cp "$root/bench/common.lua" "$work/common.lua"

# median of three wrk runs of $2 against $1: prints "rps p50 p99 bad"
runs() {
    local url=$1 script=$2 out
    (cd "$work" && wrk -t2 -c32 -d3s -s "$script" "$url" >/dev/null)
    for _ in 1 2 3; do
        out=$(cd "$work" && wrk -t2 -c32 -d"${seconds}s" --latency -s "$script" "$url" | grep RESULT)
        echo "$out" | sed 's/.*rps=\([0-9.]*\) p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\) errors=\([0-9]*\) bad_responses=\([0-9]*\).*/\1 \2 \3 \5/'
    done | sort -n | sed -n 2p
}

report() { # label, "rps p50 p99 bad", rss MiB
    read -r rps p50 p99 bad <<<"$2"
    printf '%-34s %10s req/s   p50 %6s ms   p99 %6s ms   bad %s   %s\n' "$1" "$rps" "$p50" "$p99" "$bad" "$3"
}

echo "API benchmark, $(date -u +%F), wrk -t2 -c32 -d${seconds}s x3 (median), $(nproc) cores"

if [ -x "$peer/node_modules/.bin/postgraphile" ]; then
    (cd "$peer" && exec ./serve.sh >"$work/peer.log" 2>&1) &
    pids+=($!)
    for _ in $(seq 1 100); do curl -sf -o /dev/null -X POST -H 'content-type: application/json' \
        -d '{"query":"{__typename}"}' http://127.0.0.1:5055/graphql && break; sleep 0.2; done
    PGPASSWORD=peerpw psql -q -h 127.0.0.1 -U peer -d peers_pg -c "DELETE FROM app.matters WHERE id > 2000" >/dev/null
    cp "$peer/query.lua" "$peer/mutation.lua" "$work/"
    report "postgraphile read" "$(runs http://127.0.0.1:5055/graphql query.lua)" ""
    report "postgraphile write" "$(runs http://127.0.0.1:5055/graphql mutation.lua)" ""
    PGPASSWORD=peerpw psql -q -h 127.0.0.1 -U peer -d peers_pg -c "DELETE FROM app.matters WHERE id > 2000" >/dev/null
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    # The peer's writes leave PostgreSQL work to do (dead rows for autovacuum, dirty buffers for
    # the checkpointer); done now, it does not run on the CPU beside onedoor's measured runs.
    psql -q "$pg/peers_pg" -c "VACUUM (ANALYZE) app.matters" >/dev/null 2>&1 || true
    psql -q "$pg/postgres" -c "CHECKPOINT" >/dev/null 2>&1 || true
else
    echo "(the PostGraphile peer is not set up in $peer: see the top of this script)"
fi

onedoor() { # label, database URL
    local label=$1 url=$2 dir="$work/$1" port=$((20000 + RANDOM % 20000))
    mkdir -p "$dir"
    local server
    # The first start imports the example; the second finds it there (the RSS figure is the
    # second process's: serving, not importing).
    for what in "first start (imports the example)" "restart (the example is there)"; do
        local start=$(date +%s.%N)
        (cd "$dir" && exec "$bin" serve --example --database-url "$url" --listen "127.0.0.1:$port" >>serve.log 2>&1) &
        server=$!
        pids+=($server)
        for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
        printf '%-34s %10.2f s\n' "onedoor $label $what" "$(echo "$(date +%s.%N) - $start" | bc)"
        [ "$what" = "restart (the example is there)" ] || { kill "$server"; wait "$server" 2>/dev/null || true; }
    done
    local token unit
    token=$(cd "$dir" && "$bin" token --database-url "$url" --centre pingliang --staff admin --roles admin)
    unit=$(curl -sf -X POST -H 'content-type: application/json' -H "authorization: Bearer $token" \
        -d '{"query":"{ centre(code: \"pingliang\") { units(first: 1) { edges { node { id } } } } }"}' \
        "http://127.0.0.1:$port/graphql" | sed 's/.*"id":"\([^"]*\)".*/\1/')
    sed "s/@TOKEN@/$token/; s/@UNIT@/$unit/" "$root/bench/onedoor-mutation.lua" >"$work/onedoor-mutation.lua"
    cp "$root/bench/onedoor-query.lua" "$work/"
    report "onedoor $label read" "$(runs "http://127.0.0.1:$port/graphql" onedoor-query.lua)" ""
    report "onedoor $label write" "$(runs "http://127.0.0.1:$port/graphql" onedoor-mutation.lua)" \
        "RSS peak $(($(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024)) MiB, now $(($(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024)) MiB"
    kill "$server"; wait "$server" 2>/dev/null || true
}

onedoor sqlite "sqlite://$work/onedoor.db?mode=rwc"
db="onedoor_bench_$$"
psql -q "$pg/postgres" -c "CREATE DATABASE $db" >/dev/null
onedoor postgres "$pg/$db"
psql -q "$pg/postgres" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
