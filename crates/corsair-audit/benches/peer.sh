#!/usr/bin/env bash
# corsair audit vs CORScanner (PyPI corscanner 0.9.7) on the same loopback endpoints, one run
# each: wall time and findings side by side, and the detection table (kind by configuration).
# Not part of `cargo test`. Every target is <policy><n>.example.com mapped to 127.0.0.6x:
# corsair with --resolve, CORScanner through peer_corscanner.py's resolver; nothing else resolves.
#
#   crates/corsair-audit/benches/peer.sh [REPLICAS]     (default 5: 21 policies x 5 = 105 targets)
#
# Needs python3 (venv), a Rust toolchain; installs corscanner==0.9.7 into $VENV from PyPI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
replicas="${1:-5}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="${VENV:-$target_dir/peer-venv}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$venv/bin/corscanner" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet corscanner==0.9.7; }
(cd "$root" && cargo build --release --quiet -p corsair)
corsair="$target_dir/release/corsair"

# Four policy servers, one per loopback address, so neither tool waits on one Python process.
servers=()
for k in 0 1 2 3; do
    ip="127.0.0.6$k"
    port="$(python3 -c "import socket; s=socket.socket(); s.bind(('$ip', 0)); print(s.getsockname()[1])")"
    python3 "$here/peer_policies.py" "$ip" "$port" & pids+=($!)
    servers+=("$ip:$port")
done
for s in "${servers[@]}"; do
    until python3 -c "import socket; socket.create_connection(('${s%:*}', ${s#*:}), 1)" 2>/dev/null; do sleep 0.1; done
done

python3 "$here/peer_policies.py" --list > "$work/policies"
i=0
: > "$work/targets"; : > "$work/resolve"
for n in $(seq 1 "$replicas"); do
    while read -r name _; do
        s="${servers[$((i % 4))]}"; i=$((i + 1))
        host="$name$n.example.com"
        echo "http://$host:${s#*:}/me" >> "$work/targets"
        echo "$host:${s#*:}:${s%:*}" >> "$work/resolve"
    done < "$work/policies"
done
resolve_flags=()
while read -r r; do resolve_flags+=(--resolve "$r"); done < "$work/resolve"

now() { python3 -c 'import time; print(time.monotonic())'; }
t0="$(now)"
"$corsair" audit -i "$work/targets" "${resolve_flags[@]}" --format json -j 32 --timeout 5 \
    > "$work/corsair.json" 2>/dev/null || true
t1="$(now)"
"$venv/bin/python" "$here/peer_corscanner.py" "$work/resolve" -i "$work/targets" -t 50 -o "$work/corscanner.json" \
    > "$work/corscanner.log" 2>&1 || true
t2="$(now)"

python3 - "$work" "$t0" "$t1" "$t2" "$(wc -l < "$work/targets")" <<'PY'
import collections, json, re, sys
work, t0, t1, t2, n = sys.argv[1], *map(float, sys.argv[2:5]), int(sys.argv[5])
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
print(f"corsair audit: {t1 - t0:.2f} s, {sum(len(t['findings']) for t in report['targets'])} findings")
print(f"CORScanner:    {t2 - t1:.2f} s, {len(peer)} findings (it stops at the first per URL)")
print(f"ratio: {(t2 - t1) / (t1 - t0):.1f}x")
print(f"findings on sound configurations: corsair {fp_ours}, CORScanner {fp_theirs}")
PY
