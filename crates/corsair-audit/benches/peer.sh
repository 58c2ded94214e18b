#!/usr/bin/env bash
# corsair audit vs CORScanner (PyPI corscanner 0.9.7) on the same loopback endpoints, one run
# each: wall time and findings side by side, and the detection table (kind by configuration).
# Not part of `cargo test`. Every target is <policy><n>.example.com (examples/peer_policies.rs)
# mapped to 127.0.0.6x:
# corsair with --resolve, CORScanner through peer_corscanner.py's resolver; nothing else resolves.
#
#   crates/corsair-audit/benches/peer.sh [REPLICAS]     (default 9: 21 policies x 9 = 189 targets)
#
# Needs python3 (venv), a Rust toolchain; installs corscanner==0.9.7 into $VENV from PyPI.
# CORSAIR=path/to/corsair skips the release build. Both run 50 targets at once (corsair -j 50,
# CORScanner -t 50, its default).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
replicas="${1:-9}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="${VENV:-$target_dir/peer-venv}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$venv/bin/corscanner" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet corscanner==0.9.7; }
(cd "$root" && cargo build --release --quiet -p corsair-audit --example peer_policies)
policies="$target_dir/release/examples/peer_policies"
if [ -z "${CORSAIR:-}" ]; then
    (cd "$root" && cargo build --release --quiet -p corsair)
fi
corsair="${CORSAIR:-$target_dir/release/corsair}"

# Two policy servers (hyper, from examples/peer_policies.rs), one per loopback address.
servers=()
for k in 0 1; do
    "$policies" "127.0.0.6$k" > "$work/server$k" & pids+=($!)
    until [ -s "$work/server$k" ]; do sleep 0.1; done
    servers+=("$(head -1 "$work/server$k")")
done

"$policies" --list > "$work/policies"
i=0
: > "$work/targets"; : > "$work/resolve"
for n in $(seq 1 "$replicas"); do
    while read -r name _; do
        s="${servers[$((i % 2))]}"; i=$((i + 1))
        host="$name$n.example.com"
        echo "http://$host:${s#*:}/me" >> "$work/targets"
        echo "$host:${s#*:}:${s%:*}" >> "$work/resolve"
    done < "$work/policies"
done
resolve_flags=()
while read -r r; do resolve_flags+=(--resolve "$r"); done < "$work/resolve"

now() { python3 -c 'import time; print(time.monotonic())'; }
served() {
    python3 -c "import sys, urllib.request as u; print(sum(int(u.urlopen(f'http://{s}/__served').read()) for s in sys.argv[1:]))" "${servers[@]}"
}
r0="$(served)"
t0="$(now)"
/usr/bin/time -o "$work/corsair.cpu" -f "%U %S" "$corsair" audit -i "$work/targets" "${resolve_flags[@]}" --format json -j 50 --timeout 5 \
    > "$work/corsair.json" 2>/dev/null || true
t1="$(now)"
r1="$(served)"
/usr/bin/time -o "$work/corscanner.cpu" -f "%U %S" "$venv/bin/python" "$here/peer_corscanner.py" "$work/resolve" -i "$work/targets" -t 50 -o "$work/corscanner.json" \
    > "$work/corscanner.log" 2>&1 || true
t2="$(now)"
r2="$(served)"

python3 - "$work" "$t0" "$t1" "$t2" "$(wc -l < "$work/targets")" "$((r1 - r0))" "$((r2 - r1))" <<'PY'
import collections, json, re, sys
work, t0, t1, t2, n = sys.argv[1], *map(float, sys.argv[2:5]), int(sys.argv[5])
sent_ours, sent_theirs = int(sys.argv[6]), int(sys.argv[7])
cpu = lambda tool: sum(map(float, open(f"{work}/{tool}.cpu").read().split()[-2:]))
cpu_ours, cpu_theirs = cpu("corsair"), cpu("corscanner")
policies = [l.split() for l in open(f"{work}/policies")]
name = lambda url: re.match(r"https?://([a-z]+)", url).group(1)
ours, theirs = collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
report = json.load(open(f"{work}/corsair.json"))
errors = sum(1 for t in report["targets"] if t["error"])
for t in report["targets"]:
    for f in t["findings"]:
        ours[name(t["url"])][f["kind"]] += 1
peer = json.load(open(f"{work}/corscanner.json"))
for r in peer:
    theirs[name(r["url"])][r["type"]] += 1
reps = n // len(policies)
cell = lambda c: ", ".join(k if v == reps else f"{k} ({v}/{reps})" for k, v in sorted(c.items())) or "-"
print(f"| configuration | sound? | corsair audit | CORScanner 0.9.7 |\n|---|---|---|---|")
fp_ours = fp_theirs = 0
for p, kind in policies:
    if kind == "sound":
        fp_ours += sum(ours[p].values()); fp_theirs += sum(theirs[p].values())
    print(f"| `{p}` | {kind} | {cell(ours[p])} | {cell(theirs[p])} |")
print()
print(f"targets: {n} ({len(policies)} policies x {reps}); corsair errors: {errors}")
print(f"corsair audit: {t1 - t0:.2f} s, {sent_ours} requests, {sum(len(t['findings']) for t in report['targets'])} findings")
print(f"CORScanner:    {t2 - t1:.2f} s, {sent_theirs} requests, {len(peer)} findings (it stops at the first per URL)")
print(f"CPU (user+sys): corsair {cpu_ours:.2f} s, CORScanner {cpu_theirs:.2f} s: {cpu_theirs / max(cpu_ours, 0.01):.1f}x")
print(f"CPU per request: corsair {1e3 * cpu_ours / max(sent_ours, 1):.2f} ms, CORScanner {1e3 * cpu_theirs / max(sent_theirs, 1):.2f} ms")
print(f"wall-time ratio: {(t2 - t1) / (t1 - t0):.1f}x (the same hyper policy servers)")
print(f"findings on sound configurations: corsair {fp_ours}, CORScanner {fp_theirs}")
PY
