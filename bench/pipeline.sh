#!/usr/bin/env bash
# Pipeline overhead (issue 19): the same question asked as a pipeline and as one verb with the filter built in:
#   resh 'proc://.list | where name == "sleep" | count'   vs   resh proc://sleep.list
# (the single verb answers count too). Ten sleeps run meanwhile so both answer 10. Interleaved rounds; prints a
# markdown row with the medians and the ratio (target <= 1.2x). RESH_BIN picks the binary (default: the native build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-}"
if [[ -z "$resh" ]]; then "$root/scripts/build-native.sh" >&2; resh="$root/.build/resh/resh"; fi
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends hyperfine >&2
work=$(mktemp -d /tmp/reshpipe-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
for i in $(seq 0 9); do sleep "$((910000 + i))" & pids+=($!); done
pipe="$resh 'proc://.list | where name == \"sleep\" | count'"
single="$resh proc://sleep.list"
[[ "$(eval "$pipe" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')" -ge 10 ]]
for round in $(seq "${ROUNDS:-5}"); do
    hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/$round.json" -n pipeline "$pipe" -n single "$single" >/dev/null 2>&1
done
/usr/bin/python3 - "$work" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, glob, os, statistics, sys
rounds = [{r["command"]: r["median"] for r in json.load(open(f))["results"]} for f in glob.glob(os.path.join(sys.argv[1], "*.json"))]
p = statistics.median(r["pipeline"] for r in rounds) * 1000
s = statistics.median(r["single"] for r in rounds) * 1000
ratio = statistics.median(r["pipeline"] / r["single"] for r in rounds)
print("| comparison | pipeline median (ms) | single verb median (ms) | ratio |")
print("|---|---|---|---|")
print(f"| `proc://.list \\| where name == \"sleep\" \\| count` vs `proc://sleep.list` | {p:.2f} | {s:.2f} | {ratio:.2f}x |")
print(f"(median of {len(rounds)} interleaved rounds; load {sys.argv[2]})")
PY
