#!/usr/bin/env bash
# event:// benchmark (issue 16), embedded trail: N emits from one `resh batch` (durable: every answer is written after
# its event was fsynced; consecutive emits share one fsync), then one list of the whole trail.
# Usage: bench/event.sh   (N=events, default 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
n="${N:-100000}"
work="$(mktemp -d /tmp/resh-bench-event.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/home" RESH_CONFIG="$work/config.toml"
mkdir -m 0700 "$RESH_HOME"
: > "$RESH_CONFIG"

/usr/bin/python3 - "$n" > "$work/emit.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "stage": "event:///bench.emitted", "verb": "emit", "args": {"data": {"i": i, "host": "web-1", "version": "1.2"}}}))
PY

start=$(date +%s%N)
"$resh" batch < "$work/emit.ndjson" > "$work/emitted.ndjson"
mid=$(date +%s%N)
"$resh" 'event:///bench.>.list' limit=100000 --format json > "$work/list.json"
end=$(date +%s%N)

/usr/bin/python3 - "$work" "$n" "$(( (mid - start) / 1000000 ))" "$(( (end - mid) / 1000000 ))" <<'PY'
import json, os, sys
d, n, emit_ms, list_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = sum(1 for l in open(f"{d}/emitted.ndjson") if json.loads(l)["ok"])
listed = json.load(open(f"{d}/list.json"))["result"]["count"]
print("| measurement | events | wall | rate |")
print("|---|---|---|---|")
print(f"| emit, one resh batch, durable (group commit) | {ok}/{n} ok | {emit_ms} ms | {ok / (emit_ms / 1000):,.0f}/s |")
print(f"| list of the whole trail (limit=100000) | {listed} | {list_ms} ms | {listed / (list_ms / 1000):,.0f}/s |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
