#!/usr/bin/env bash
# Runs the corsair-tower benchmarks (corsair vs tower-http, same run) and prints the ratio table
# from criterion's estimates (median point estimates, in ns): per case the totals, and what each
# layer adds to the harness (the same request clone, inner service and drops, with no layer).
#
#   crates/corsair-tower/bench.sh              # run, then print the table
#   crates/corsair-tower/bench.sh --table-only # print the table of the last run
#
# Extra arguments go to criterion (e.g. a filter: bench.sh preflight).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [ "${1:-}" != "--table-only" ]; then
    cargo bench -p corsair-tower --bench cors -- "$@" >&2
fi

dir="${CARGO_TARGET_DIR:-target}/criterion"
# The median's point estimate from one estimates.json, in ns.
median() {
    local file="$dir/$1/$2/new/estimates.json"
    [ -f "$file" ] || { echo "missing $file (run the benchmark first)" >&2; exit 1; }
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' "$file"
}
ns() { awk -v t="$1" 'BEGIN { if (t >= 1000) printf "%.2f us", t / 1000; else printf "%.0f ns", t }'; }

printf '| case | harness | corsair | tower-http | tower-http / corsair | added: corsair | added: tower-http | added: tower-http / corsair |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
# Every case of the matrix, in its order (benches/cases/mod.rs), or those the filter ran.
cases=$(cargo bench -q -p corsair-tower --bench instructions -- --list 2>/dev/null)
for case in $cases; do
    [ -f "$dir/$case/harness/new/estimates.json" ] || continue
    h=$(median "$case" harness)
    c=$(median "$case" corsair)
    t=$(median "$case" tower-http)
    printf '| %s | %s | %s | %s | %s | %s | %s | **%s** |\n' "$case" "$(ns "$h")" "$(ns "$c")" "$(ns "$t")" \
        "$(awk -v c="$c" -v t="$t" 'BEGIN { printf "%.2fx", t / c }')" \
        "$(ns "$(awk -v c="$c" -v h="$h" 'BEGIN { print c - h }')")" \
        "$(ns "$(awk -v t="$t" -v h="$h" 'BEGIN { print t - h }')")" \
        "$(awk -v c="$c" -v t="$t" -v h="$h" 'BEGIN { if (c > h) printf "%.2fx", (t - h) / (c - h); else print "n/a" }')"
done
c1=$(median origins-1 corsair); c1000=$(median origins-1000 corsair)
t1=$(median origins-1 tower-http); t1000=$(median origins-1000 tower-http)
printf '\nFlatness, 1000 origins / 1 origin: corsair %s, tower-http %s.\n' \
    "$(awk -v a="$c1000" -v b="$c1" 'BEGIN { printf "%.2fx", a / b }')" \
    "$(awk -v a="$t1000" -v b="$t1" 'BEGIN { printf "%.2fx", a / b }')"
printf 'harness: the same request clone, inner service and drops with no layer; added: total minus harness.\n'
printf 'Machine: %s cores, %s.\n' "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
