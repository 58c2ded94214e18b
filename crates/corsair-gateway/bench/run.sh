#!/usr/bin/env bash
# corsair proxy against its peers, in one run, on loopback only (127.0.0.1).
#
#   1. gateway mode vs nginx doing the same CORS job (nginx-cors.conf), actual requests and
#      preflights;
#   2. open mode vs cors-anywhere (npm, installed into a temporary directory), same two kinds,
#      with a keep-alive agent to the upstream (its best setup); then actual requests against
#      its default setup (a new upstream connection per request, as it runs when deployed);
#   3. resident memory with 1000 idle keep-alive connections (target: corsair < 30 MB).
#
# Both proxies of a pair forward to the same upstream: a second nginx answering a fixed 11-byte
# JSON body (`return 200`, no disk, no log), so the upstream costs next to nothing. corsair runs
# with its default log level (refusals only; nothing is refused under load), nginx without an
# access log.
#
# CPU placement (2-core default): the proxy under test runs alone on SERVER_CPU with one worker
# (nginx worker_processes 1, corsair TOKIO_WORKER_THREADS=1, node is single-threaded); wrk and
# the upstream share LOAD_CPU. The table shows the proxy's CPU use during each run (near 100%:
# the proxy, not the load side, set the rate) and its CPU time per request, which does not
# depend on how fast the load side is.
#
# Before timing, one request of each kind checks status and CORS headers on every server (and
# that another origin gets none). Each pair is warmed up, then measured ROUNDS times alternately
# (A B A B ...); the table gives medians. Every run waits for a quiet machine and is repeated
# if anything else used more than FOREIGN_MAX% of a CPU meanwhile (a build next door halves the
# numbers). A run with non-2xx answers or socket errors fails the script.
#
# Memory: fresh processes as users run them (default worker count, no pinning); idle.py opens
# the connections one after another, each making one request, and holds them.
#
# Settings (environment): DURATION=10 ROUNDS=3 WARMUP=3 CONNECTIONS=64 LOAD_CPU=0 SERVER_CPU=1
# BASE_PORT=18180 (uses BASE_PORT..BASE_PORT+4) IDLE=1000 FOREIGN_MAX=10 QUIET_WAIT=1800
# CORSAIR_BIN (skips the build) KEEP_WORKDIR=1 (keeps logs and configs). Ctrl-C or SIGTERM stops
# every process it started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-64}
LOAD_CPU=${LOAD_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
BASE_PORT=${BASE_PORT:-18180}
IDLE=${IDLE:-1000}
ORIGIN=https://app.example.com
export BENCH_ORIGIN=$ORIGIN

UPSTREAM_PORT=$BASE_PORT
NGINX_PORT=$((BASE_PORT + 1))
GATEWAY_PORT=$((BASE_PORT + 2))
OPEN_PORT=$((BASE_PORT + 3))
ANYWHERE_PORT=$((BASE_PORT + 4))
UPSTREAM=http://127.0.0.1:$UPSTREAM_PORT
DATA_PATH=/data.json

# Nothing here may go through a proxy: every request is for 127.0.0.1.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

die() { echo "run.sh: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Processes: every one started here is recorded and stopped on exit, by its id.
pids=()
workdir=$(mktemp -d /tmp/corsair-bench.XXXXXX)
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # nginx masters take their workers with them on TERM; give everyone a moment.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
    if [[ -n ${KEEP_WORKDIR:-} ]]; then note "logs kept in $workdir"; else rm -rf "$workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CPU COMMAND...: runs COMMAND pinned to CPU, logs to $workdir/NAME.log, records its
# pid in $last_pid.
start() {
    local name=$1 cpu=$2
    shift 2
    taskset -c "$cpu" "$@" >"$workdir/$name.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
}

# stop PID: stops one process started here and forgets it.
stop() {
    local pid=$1 keep=() p
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    pids=("${keep[@]}")
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    local port=$1 name=$2
    for _ in $(seq 100); do
        if ! port_free "$port"; then return 0; fi
        sleep 0.1
    done
    cat "$workdir/$name.log" >&2 || true
    die "$name did not listen on 127.0.0.1:$port"
}

# ---------------------------------------------------------------------------------------------
# Tools.
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
if ((${#need_apt[@]})); then
    note "installing ${need_apt[*]}"
    (apt-get install -y "${need_apt[@]}" || { apt-get update && apt-get install -y "${need_apt[@]}"; }) >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk node npm python3 taskset curl; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done
(($(nproc) > SERVER_CPU && $(nproc) > LOAD_CPU)) || die "needs CPUs $LOAD_CPU and $SERVER_CPU (nproc: $(nproc))"
for port in $UPSTREAM_PORT $NGINX_PORT $GATEWAY_PORT $OPEN_PORT $ANYWHERE_PORT; do
    port_free "$port" || die "127.0.0.1:$port is in use; set BASE_PORT"
done

if [[ -z ${CORSAIR_BIN:-} ]]; then
    note "building corsair (release)"
    (cd "$repo" && cargo build --release -p corsair --quiet)
    CORSAIR_BIN=${CARGO_TARGET_DIR:-$repo/target}/release/corsair
    corsair_version="corsair $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
else
    corsair_version="corsair from CORSAIR_BIN=$CORSAIR_BIN"
fi
[[ -x $CORSAIR_BIN ]] || die "no corsair binary at $CORSAIR_BIN"

note "installing cors-anywhere into $workdir/anywhere"
mkdir -p "$workdir/anywhere" "$workdir/tmp"
(cd "$workdir/anywhere" && npm install --silent --no-audit --no-fund --no-save cors-anywhere >/dev/null 2>&1) ||
    die "npm install cors-anywhere failed"
cp "$here/cors-anywhere.js" "$workdir/anywhere/"
anywhere_version=$(node -p "require('$workdir/anywhere/node_modules/cors-anywhere/package.json').version")

# ---------------------------------------------------------------------------------------------
# Servers.
nginx_conf() { # TEMPLATE OUT PORT WORKERS
    sed -e "s|@DIR@|$workdir|g" -e "s|@PORT@|$3|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
        -e "s|@WORKERS@|$4|g" "$here/$1" >"$workdir/$2"
}

start_upstream() {
    nginx_conf nginx-upstream.conf upstream.conf "$UPSTREAM_PORT" 1
    start upstream "$LOAD_CPU" "$NGINX" -p "$workdir" -c "$workdir/upstream.conf"
    upstream_pid=$last_pid
    wait_port "$UPSTREAM_PORT" upstream
}

start_nginx() { # CPU WORKERS
    nginx_conf nginx-cors.conf nginx-cors.conf "$NGINX_PORT" "$2"
    start nginx-cors "$1" "$NGINX" -p "$workdir" -c "$workdir/nginx-cors.conf"
    nginx_pid=$last_pid
    wait_port "$NGINX_PORT" nginx-cors
}

start_gateway() { # CPU [WORKERS]: WORKERS empty = tokio's default (one per CPU)
    start gateway "$1" env ${2:+TOKIO_WORKER_THREADS=$2} "$CORSAIR_BIN" proxy -c "$here/gateway.toml" \
        --listen "127.0.0.1:$GATEWAY_PORT" --upstream "$UPSTREAM"
    gateway_pid=$last_pid
    wait_port "$GATEWAY_PORT" gateway
}

start_open() { # CPU [WORKERS]
    start open "$1" env ${2:+TOKIO_WORKER_THREADS=$2} "$CORSAIR_BIN" proxy -c "$here/open.toml" \
        --listen "127.0.0.1:$OPEN_PORT"
    open_pid=$last_pid
    wait_port "$OPEN_PORT" open
}

start_anywhere() { # CPU [keepalive|default]
    start anywhere "$1" node "$workdir/anywhere/cors-anywhere.js" "$ANYWHERE_PORT" "${2:-keepalive}"
    anywhere_pid=$last_pid
    wait_port "$ANYWHERE_PORT" anywhere
}

all_cpus=0-$(($(nproc) - 1))

# ---------------------------------------------------------------------------------------------
# Correctness before timing.
# check NAME URL EXPECT_STATUS HEADER_REGEX... [-- curl args]: one request; the status must
# match and each regex must match a response header line (case-insensitive).
check() {
    local name=$1 url=$2 status=$3
    shift 3
    local regexes=()
    while (($#)) && [[ $1 != -- ]]; do regexes+=("$1"); shift; done
    [[ ${1:-} == -- ]] && shift
    local head
    head=$(curl -sS -o /dev/null -D - --max-time 5 "$@" "$url" | tr -d '\r') || die "$name: no answer from $url"
    local got
    got=$(head -1 <<<"$head" | awk '{print $2}')
    [[ $got == "$status" ]] || die "$name: $url answered $got, expected $status:"$'\n'"$head"
    local re
    for re in "${regexes[@]}"; do
        grep -qiE "$re" <<<"$head" || die "$name: $url: no header matching /$re/ in:"$'\n'"$head"
    done
    note "ok: $name"
}

# absent NAME URL REGEX [curl args]: the header must not be there.
absent() {
    local name=$1 url=$2 re=$3
    shift 3
    local head
    head=$(curl -sS -o /dev/null -D - --max-time 5 "$@" "$url" | tr -d '\r') || die "$name: no answer from $url"
    if grep -qiE "$re" <<<"$head"; then die "$name: $url: unexpected /$re/ in:"$'\n'"$head"; fi
    note "ok: $name"
}

PRE=(-X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: PUT'
    -H 'Access-Control-Request-Headers: content-type, x-requested-with')
ACTUAL=(-H "Origin: $ORIGIN")
ACAO="^access-control-allow-origin: $ORIGIN$"

check_gateway_pair() {
    local name url
    for name in gateway nginx; do
        if [[ $name == gateway ]]; then url=http://127.0.0.1:$GATEWAY_PORT$DATA_PATH; else url=http://127.0.0.1:$NGINX_PORT$DATA_PATH; fi
        check "$name actual" "$url" 200 "$ACAO" '^vary:.*origin' '^content-type: application/json' -- "${ACTUAL[@]}"
        check "$name preflight" "$url" 204 "$ACAO" '^access-control-allow-methods: GET,POST,PUT,DELETE$' \
            '^access-control-allow-headers: content-type,x-requested-with$' '^access-control-max-age: 600$' \
            '^vary:.*origin' -- "${PRE[@]}"
        absent "$name other origin" "$url" '^access-control-allow-origin' -H 'Origin: https://evil.example'
    done
}

check_open_pair() {
    local target=$UPSTREAM$DATA_PATH
    local url=http://127.0.0.1:$OPEN_PORT/$target
    check "corsair --open actual" "$url" 200 "$ACAO" '^vary:.*origin' '^content-type: application/json' -- "${ACTUAL[@]}"
    check "corsair --open preflight" "$url" 204 "$ACAO" '^access-control-allow-methods: GET,POST,PUT,DELETE$' \
        '^access-control-allow-headers: content-type,x-requested-with$' '^access-control-max-age: 600$' -- "${PRE[@]}"
    check "corsair --open other origin refused" "$url" 403 -- -H 'Origin: https://evil.example'
    url=http://127.0.0.1:$ANYWHERE_PORT/$target
    # cors-anywhere always answers `*` and echoes the requested method and headers.
    check "cors-anywhere actual" "$url" 200 '^access-control-allow-origin: \*$' '^content-type: application/json' \
        -- "${ACTUAL[@]}"
    check "cors-anywhere preflight" "$url" 200 '^access-control-allow-origin: \*$' \
        '^access-control-allow-methods: PUT$' '^access-control-allow-headers: content-type, x-requested-with$' \
        -- "${PRE[@]}"
    check "cors-anywhere other origin refused" "$url" 403 -- -H 'Origin: https://evil.example'
}

# ---------------------------------------------------------------------------------------------
# Timing.
declare -A rps p99 cpu us_per_req
hz=$(getconf CLK_TCK)
FOREIGN_MAX=${FOREIGN_MAX:-10}
max_foreign=0
retried=0

# cpu_ticks PID...: user+system clock ticks of these processes (all their threads).
cpu_ticks() {
    local total=0 pid f
    for pid in "$@"; do
        f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${f% *} + ${f#* }))
    done
    echo "$total"
}

# machine_ticks: user, nice, system and steal ticks of all CPUs (interrupt time is left out: it
# is the loopback traffic's, and no process is charged for it).
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $9; exit}' /proc/stat; }

# child_ticks: CPU ticks of this script's finished children (wrk, and the helpers it forks).
child_ticks() { awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$$/stat"; }

# nginx_pids MASTER: the master and its workers.
nginx_pids() { echo "$1" $(pgrep -P "$1" || true); }

# wait_quiet: waits until, over one second, the machine's CPU use is under FOREIGN_MAX% of one
# CPU while nothing is being measured (another build or benchmark would skew every number).
wait_quiet() {
    local waited=0 a b busy
    while :; do
        a=$(machine_ticks)
        sleep 1
        b=$(machine_ticks)
        busy=$(((b - a) * 100 / hz))
        ((busy <= FOREIGN_MAX)) && return 0
        ((waited == 0)) && note "the machine is busy (${busy}% CPU outside this benchmark); waiting"
        waited=$((waited + 6))
        ((waited < ${QUIET_WAIT:-1800})) || die "the machine stayed busy for ${QUIET_WAIT:-1800}s"
        sleep 5
    done
}

# to_ms VALUE: wrk's latency (12.3us, 1.2ms, 1.0s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# wrk_run SECONDS URL SCRIPT: one run; sets run_rps, run_requests, run_p99 (ms); fails on
# errors. wrk is a direct child, so child_ticks counts it once waited for; it runs in the
# background so that a signal interrupts the wait (and cleanup stops it) at once.
wrk_run() {
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$1s" --latency -s "$here/$3" "$2" >"$workdir/wrk.out" 2>&1 &
    local wrk_pid=$!
    pids+=("$wrk_pid")
    wait "$wrk_pid" || die "wrk failed on $2:"$'\n'"$(cat "$workdir/wrk.out")"
    unset 'pids[-1]'
    local out
    out=$(cat "$workdir/wrk.out")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then die "errors under load on $2:"$'\n'"$out"; fi
    run_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    run_requests=$(awk '/requests in/ {print $1}' <<<"$out")
    run_p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    [[ -n $run_rps && -n $run_p99 && -n $run_requests ]] || die "cannot read wrk's output:"$'\n'"$out"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# measured_run SECONDS URL SCRIPT SERVER_PIDS OTHER_PIDS: a run whose CPU is accounted: sets
# run_cpu (% of one CPU used by SERVER_PIDS), run_us (their CPU microseconds per request) and
# run_foreign (% of one CPU used by anything but the servers, wrk and this script). Repeats a
# run that another process disturbed (up to 5 times).
measured_run() {
    local attempt m0 m1 s0 s1 o0 o1 c0 c1 server other
    for attempt in 1 2 3 4 5; do
        wait_quiet
        m0=$(machine_ticks); s0=$(cpu_ticks $4); o0=$(cpu_ticks $5); c0=$(child_ticks)
        wrk_run "$1" "$2" "$3"
        m1=$(machine_ticks); s1=$(cpu_ticks $4); o1=$(cpu_ticks $5); c1=$(child_ticks)
        server=$((s1 - s0))
        other=$((o1 - o0))
        run_foreign=$(((m1 - m0 - server - other - (c1 - c0)) * 100 / hz / $1))
        ((run_foreign < 0)) && run_foreign=0
        run_cpu=$((server * 100 / hz / $1))
        run_us=$(awk -v t="$server" -v hz="$hz" -v n="$run_requests" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
        ((run_foreign <= FOREIGN_MAX)) && break
        note "run disturbed (${run_foreign}% CPU outside the benchmark); again"
        retried=$((retried + 1))
        ((attempt < 5)) || die "every attempt was disturbed; is something else running?"
    done
    ((run_foreign > max_foreign)) && max_foreign=$run_foreign
    return 0
}

# measure_pair KIND SCRIPT OTHER_PIDS NAME_A URL_A PIDS_A NAME_B URL_B PIDS_B: warm both up,
# then ROUNDS alternating runs; fills rps, p99, cpu and us_per_req for "NAME KIND". OTHER_PIDS
# are the servers that are up but not measured (the upstream).
measure_pair() {
    local kind=$1 script=$2 others=$3
    local -a names=("$4" "$7") urls=("$5" "$8") pidsets=("$6" "$9")
    local i r
    for i in 0 1; do wrk_run "$WARMUP" "${urls[$i]}" "$script"; done
    local -A runs_rps runs_p99 runs_cpu runs_us
    for r in $(seq "$ROUNDS"); do
        for i in 0 1; do
            measured_run "$DURATION" "${urls[$i]}" "$script" "${pidsets[$i]}" "$others ${pidsets[1 - i]}"
            runs_rps[$i]+=" $run_rps"
            runs_p99[$i]+=" $run_p99"
            runs_cpu[$i]+=" $run_cpu"
            runs_us[$i]+=" $run_us"
            note "$kind ${names[$i]} round $r: $run_rps req/s, p99 $run_p99 ms, server CPU $run_cpu%, $run_us us CPU/request, other load $run_foreign%"
        done
    done
    for i in 0 1; do
        rps["${names[$i]} $kind"]=$(median ${runs_rps[$i]})
        p99["${names[$i]} $kind"]=$(median ${runs_p99[$i]})
        cpu["${names[$i]} $kind"]=$(median ${runs_cpu[$i]})
        us_per_req["${names[$i]} $kind"]=$(median ${runs_us[$i]})
    done
}

# ---------------------------------------------------------------------------------------------
# Memory.
rss_kb() { # PID...: summed VmRSS
    local total=0 pid v
    for pid in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

declare -A rss_idle rss_base
# measure_idle NAME PORT PATH PIDS...: RSS before, and with IDLE connections each having made
# one request.
measure_idle() {
    local name=$1 port=$2 path=$3
    shift 3
    local pidlist="$*"
    sleep 0.5
    rss_base[$name]=$(rss_kb $pidlist)
    rm -f "$workdir/idle.ready"
    start "idle-$name" "$LOAD_CPU" python3 "$here/idle.py" 127.0.0.1 "$port" "$IDLE" "$path" "$ORIGIN" \
        "$workdir/idle.ready"
    local holder=$last_pid
    for _ in $(seq 300); do [[ -s $workdir/idle.ready ]] && break; kill -0 "$holder" 2>/dev/null || break; sleep 0.1; done
    [[ -s $workdir/idle.ready ]] || { cat "$workdir/idle-$name.log" >&2; die "$name: could not hold $IDLE connections"; }
    sleep 2
    rss_idle[$name]=$(rss_kb $pidlist)
    local established
    established=$(ss -Htn state established "( sport = :$port )" | wc -l)
    ((established >= IDLE)) || die "$name: only $established of $IDLE connections still open"
    stop "$holder"
    note "$name: RSS $((rss_base[$name] / 1024)) MB idle, $((rss_idle[$name] / 1024)) MB with $established connections"
}

# ---------------------------------------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
machine="$(nproc) CPUs, ${cpu_model:-unknown CPU}, $(free -g | awk '/^Mem:/ {print $2}') GB, Linux $(uname -r)"
versions="$corsair_version, $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}'), node $(node -v), cors-anywhere $anywhere_version"
note "machine: $machine"

start_upstream

# 1. gateway vs nginx.
start_gateway "$SERVER_CPU" 1
start_nginx "$SERVER_CPU" 1
check_gateway_pair
# Both proxies stay up, pinned to the same CPU; only the one being measured gets traffic.
g=http://127.0.0.1:$GATEWAY_PORT$DATA_PATH
n=http://127.0.0.1:$NGINX_PORT$DATA_PATH
up=$(nginx_pids "$upstream_pid")
measure_pair actual actual.lua "$up" "corsair proxy" "$g" "$gateway_pid" nginx "$n" "$(nginx_pids "$nginx_pid")"
measure_pair preflight preflight.lua "$up" "corsair proxy" "$g" "$gateway_pid" nginx "$n" "$(nginx_pids "$nginx_pid")"
stop "$gateway_pid"
stop "$nginx_pid"

# 2. open mode vs cors-anywhere.
start_open "$SERVER_CPU" 1
start_anywhere "$SERVER_CPU"
check_open_pair
o=http://127.0.0.1:$OPEN_PORT/$UPSTREAM$DATA_PATH
a=http://127.0.0.1:$ANYWHERE_PORT/$UPSTREAM$DATA_PATH
measure_pair actual actual.lua "$up" "corsair proxy --open" "$o" "$open_pid" cors-anywhere "$a" "$anywhere_pid"
measure_pair preflight preflight.lua "$up" "corsair proxy --open" "$o" "$open_pid" cors-anywhere "$a" "$anywhere_pid"
stop "$anywhere_pid"
# cors-anywhere as deployed unchanged: a new upstream connection per request (actual requests
# only: preflights never reach the upstream).
start_anywhere "$SERVER_CPU" default
check "cors-anywhere (default agent) actual" "$a" 200 '^access-control-allow-origin: \*$' -- "${ACTUAL[@]}"
measure_pair actual-default actual.lua "$up" "corsair proxy --open" "$o" "$open_pid" "cors-anywhere default" "$a" \
    "$anywhere_pid"
stop "$open_pid"
stop "$anywhere_pid"

# 3. Memory: fresh processes as users run them (tokio's default worker count, nginx with one
# worker per CPU, no pinning).
start_gateway "$all_cpus"
measure_idle "corsair proxy" "$GATEWAY_PORT" "$DATA_PATH" "$gateway_pid"
stop "$gateway_pid"
start_nginx "$all_cpus" "$(nproc)"
measure_idle nginx "$NGINX_PORT" "$DATA_PATH" $(nginx_pids "$nginx_pid")
stop "$nginx_pid"
start_open "$all_cpus"
measure_idle "corsair proxy --open" "$OPEN_PORT" "/$UPSTREAM$DATA_PATH" "$open_pid"
stop "$open_pid"
start_anywhere "$all_cpus"
measure_idle cors-anywhere "$ANYWHERE_PORT" "/$UPSTREAM$DATA_PATH" "$anywhere_pid"
stop "$anywhere_pid"

# ---------------------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { # NAME PEER KIND
    local me="$1 $3" peer="$2 $3"
    printf '| %s | %s | %s | %.0f | %.0f | **%s** | %s | %s | %s | %s | %s%% / %s%% |\n' "$1" "$2" "$3" \
        "${rps[$me]}" "${rps[$peer]}" "$(ratio "${rps[$me]}" "${rps[$peer]}")" "${p99[$me]}" "${p99[$peer]}" \
        "${us_per_req[$me]}" "${us_per_req[$peer]}" "${cpu[$me]}" "${cpu[$peer]}"
}

echo
echo "Machine: $machine; $versions."
echo "wrk -t1 -c$CONNECTIONS --latency, ${DURATION}s x $ROUNDS rounds (median), after ${WARMUP}s warm-up; proxies on CPU $SERVER_CPU with 1 worker each, wrk and the upstream (nginx, return 200) on CPU $LOAD_CPU. CPU us/req: the proxy's own CPU time per request. Other load during the runs: at most ${max_foreign}% of a CPU ($retried runs repeated)."
echo
echo "| corsair | peer | request | corsair req/s | peer req/s | corsair/peer | corsair p99 ms | peer p99 ms | corsair CPU us/req | peer CPU us/req | proxy CPU (corsair / peer) |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
row "corsair proxy" nginx actual
row "corsair proxy" nginx preflight
row "corsair proxy --open" cors-anywhere actual
row "corsair proxy --open" cors-anywhere preflight
row "corsair proxy --open" "cors-anywhere default" actual-default
echo
echo "Resident memory (VmRSS), fresh process, default worker count, before and with $IDLE idle keep-alive connections that each made one request:"
echo
echo "| server | idle RSS MB | RSS MB with $IDLE connections |"
echo "|---|---:|---:|"
for name in "corsair proxy" "corsair proxy --open" nginx cors-anywhere; do
    extra=""
    [[ $name == nginx ]] && extra=" (master + $(nproc) workers)"
    echo "| $name$extra | $(mb "${rss_base[$name]}") | $(mb "${rss_idle[$name]}") |"
done
limit_kb=$((30 * 1024))
if ((rss_idle["corsair proxy"] >= limit_kb)); then
    echo
    echo "corsair proxy is over the 30 MB target with $IDLE connections."
fi
