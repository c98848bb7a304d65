#!/usr/bin/env bash
# mq:// benchmarks (issue 16), embedded queue: 100,000 publishes from one `resh batch` (target >= 5,000/s durable: every
# answer is written after its message was fsynced; consecutive publishes share one fsync), then the same messages
# consumed by one batch of consume count=100 calls. Also the fsync count, to show the grouping.
# Usage: bench/mq.sh   (N=messages, default 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
n="${N:-100000}"
work="$(mktemp -d /tmp/resh-bench-mq.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/home"
mkdir -m 0700 "$RESH_HOME"

/usr/bin/python3 - "$n" > "$work/publish.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "stage": "mq:///bench", "verb": "publish", "args": {"body": f"message {i} " + "x" * 64}}))
PY
/usr/bin/python3 - "$n" > "$work/consume.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1]) // 100):
    print(json.dumps({"id": i, "stage": "mq:///bench", "verb": "consume", "args": {"count": 100}}))
PY

fsyncs="n/a"
start=$(date +%s%N)
if command -v strace >/dev/null && [[ "${STRACE:-0}" == 1 ]]; then
  strace -f -c -e trace=fsync,fdatasync -o "$work/strace" "$resh" batch < "$work/publish.ndjson" > "$work/published.ndjson"
  fsyncs=$(awk '/fsync/ {print $4}' "$work/strace")
else
  cat "$work/publish.ndjson" | "$resh" batch > "$work/published.ndjson"
fi
mid=$(date +%s%N)
cat "$work/consume.ndjson" | "$resh" batch > "$work/consumed.ndjson"
end=$(date +%s%N)

/usr/bin/python3 - "$work" "$n" "$(( (mid - start) / 1000000 ))" "$(( (end - mid) / 1000000 ))" "$fsyncs" <<'PY'
import json, os, sys
d, n, pub_ms, con_ms, fsyncs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ok = sum(1 for l in open(f"{d}/published.ndjson") if json.loads(l)["ok"])
got = sum(len(json.loads(l)["result"]["messages"]) for l in open(f"{d}/consumed.ndjson") if json.loads(l)["ok"])
print("| measurement | messages | wall | rate |")
print("|---|---|---|---|")
print(f"| publish, one resh batch, durable (fsync before each answer; fsyncs: {fsyncs}) | {ok}/{n} ok | {pub_ms} ms | {ok / (pub_ms / 1000):,.0f}/s |")
print(f"| consume count=100 (auto ack), one resh batch | {got} | {con_ms} ms | {got / (con_ms / 1000):,.0f}/s |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
