#!/usr/bin/env bash
# lock:// benchmarks (issue 16): resh side by side with flock(1), what an operator runs otherwise, in one run, as ratios:
#   - an uncontended run of `true` under a named lock: `resh lock:///NAME.run -- true` vs `flock FILE true`
#   - 20 concurrent runs of a read-pause-write increment under one lock (each waits for the others): wall time of all 20
# Usage: bench/lock.sh   (RUNS=N per pair, default 30)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
command -v hyperfine >/dev/null || { echo "bench: missing hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work="$(mktemp -d /tmp/resh-bench-lock.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/home"
mkdir -m 0700 "$RESH_HOME"

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/one.json" \
  -n "resh lock run" "$resh lock:///bench.run --format raw -- /bin/true" \
  -n "flock" "flock $work/bench.lock /bin/true" >&2

echo 0 > "$work/c1"; echo 0 > "$work/c2"
inc() { echo "n=\$(cat $1); sleep 0.01; echo \$((n+1)) > $1"; }
start=$(date +%s%N)
for i in $(seq 20); do "$resh" lock:///counter.run wait=120s --format raw -- /bin/sh -c "$(inc "$work/c1")" & done; wait
mid=$(date +%s%N)
for i in $(seq 20); do flock -w 120 "$work/counter.lock" /bin/sh -c "$(inc "$work/c2")" & done; wait
end=$(date +%s%N)

/usr/bin/python3 - "$work" "$(( (mid - start) / 1000000 ))" "$(( (end - mid) / 1000000 ))" "$(cat "$work/c1")" "$(cat "$work/c2")" <<'PY'
import json, os, sys
d, resh20, flock20, c1, c2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
r = json.load(open(f"{d}/one.json"))["results"]
a, b = r[0]["median"] * 1000, r[1]["median"] * 1000
print("| comparison | resh | flock | ratio |")
print("|---|---|---|---|")
print(f"| one uncontended run of /bin/true under a lock (median) | {a:.2f} ms | {b:.2f} ms | {a / b:.2f}x |")
print(f"| 20 concurrent increments under one lock (wall, counter {c1} / {c2}) | {resh20} ms | {flock20} ms | {resh20 / flock20:.2f}x |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
