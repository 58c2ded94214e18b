#!/usr/bin/env bash
# User-space instructions per proxied request, counted by valgrind's callgrind: steadier than
# req/s on a shared machine (the same binary and load give the same count whatever else runs).
#
# For each request kind (actual, preflight) it measures, one server at a time under callgrind:
#   corsair proxy (fast path), corsair proxy with fast_path = false (hyper on both legs), and
#   nginx doing the same CORS job (nginx-cors.conf, one worker, no master process),
# all in front of the same upstream (nginx-upstream.conf, `return 200`, not measured). Counting
# is switched on only while wrk runs (after a warm-up), so start-up and shutdown are left out;
# the count is divided by the requests wrk completed. The kernel's share is not counted.
#
# Needs valgrind, wrk and nginx (apt-get install -y valgrind wrk nginx). Loopback only.
# Settings (environment): DURATION=8 CONNECTIONS=8 BASE_PORT=18280 (uses BASE_PORT..+2)
# CORSAIR_BIN (skips the build). Takes about 2 minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-8}
BASE_PORT=${BASE_PORT:-18280}
UPSTREAM_PORT=$BASE_PORT
PROXY_PORT=$((BASE_PORT + 1))
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export BENCH_ORIGIN=https://app.example.com
# One worker, as in run.sh. Set here: valgrind does not follow an `env` it starts into its exec.
export TOKIO_WORKER_THREADS=1

for tool in valgrind callgrind_control callgrind_annotate wrk nginx; do
    command -v "$tool" >/dev/null || { echo "instructions.sh: $tool is missing (apt-get install -y valgrind wrk nginx)" >&2; exit 1; }
done
if [[ -z ${CORSAIR_BIN:-} ]]; then
    cargo build --release -p corsair --manifest-path "$repo/Cargo.toml" >&2
    CORSAIR_BIN=$repo/target/release/corsair
fi

work=$(mktemp -d /tmp/corsair-instructions.XXXXXX)
mkdir -p "$work/tmp"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 1
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

conf() { # TEMPLATE OUT PORT
    sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$3|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" -e "s|@WORKERS@|1|g" \
        "$here/$1" >"$work/$2"
}
conf nginx-upstream.conf upstream.conf "$UPSTREAM_PORT"
conf nginx-cors.conf cors.conf "$PROXY_PORT"
# Under valgrind, nginx must be one process: the worker is the one that counts.
sed -i 's/^master_process on;/master_process off;/' "$work/cors.conf"
nginx -p "$work" -c "$work/upstream.conf" &
pids+=($!)
cp "$here/gateway.toml" "$work/gateway.toml"
{ cat "$here/gateway.toml"; printf '\n[proxy]\nfast_path = false\n'; } >"$work/hyper.toml"

wait_port() {
    for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
    echo "instructions.sh: nothing listens on $1" >&2
    exit 1
}

# count NAME KIND COMMAND...: instructions per request of COMMAND (listening on PROXY_PORT).
count() {
    local name=$1 kind=$2
    shift 2
    local out=$work/callgrind.out
    rm -f "$out"*
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$@" 2>"$work/valgrind.log" &
    local pid=$!
    wait_port "$PROXY_PORT"
    local url=http://127.0.0.1:$PROXY_PORT/data.json
    wrk -t1 -c"$CONNECTIONS" -d3s -s "$here/$kind.lua" "$url" >/dev/null 2>&1
    callgrind_control -i on "$pid" >/dev/null 2>&1
    local result
    result=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$here/$kind.lua" "$url" 2>&1)
    callgrind_control -i off "$pid" >/dev/null 2>&1
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if grep -qE 'Non-2xx|Socket errors' <<<"$result"; then
        echo "instructions.sh: $name $kind: wrk saw errors:" >&2
        echo "$result" >&2
        exit 1
    fi
    local requests total dump
    requests=$(awk '/requests in/ {print $1}' <<<"$result")
    dump=$out.1 # the dump taken while counting was on (the one at exit counts nothing)
    total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS$/ && !/calculated/ {gsub(",", "", $1); if (!t) t = $1} END {print t}')
    printf '| %s | %s | %s | %s |\n' "$name" "$kind" "$requests" "$((total / requests))"
}

echo "| server | request | requests counted | instructions per request |"
echo "|---|---|---:|---:|"
upstream=http://127.0.0.1:$UPSTREAM_PORT
for kind in actual preflight; do
    count "corsair proxy" "$kind" "$CORSAIR_BIN" proxy -c "$work/gateway.toml" \
        --listen "127.0.0.1:$PROXY_PORT" --upstream "$upstream"
    count "corsair proxy, fast_path = false" "$kind" "$CORSAIR_BIN" proxy \
        -c "$work/hyper.toml" --listen "127.0.0.1:$PROXY_PORT" --upstream "$upstream"
    count nginx "$kind" nginx -p "$work" -c "$work/cors.conf"
done
