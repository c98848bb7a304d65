#!/usr/bin/env bash
# event:// benchmark (issue 16), NATS JetStream backend: N emits from one `resh batch` to a throwaway nats-server on
# loopback (tests/setup/nats.sh; every emit answers after the server's ack), then one list of those events (an ordered consumer).
# Usage: bench/event-nats.sh   (N=events, default 20000; needs nats-server on PATH)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
n="${N:-20000}"
work="$(mktemp -d /tmp/resh-bench-eventnats.XXXXXX)"
read -r port mon < <(/usr/bin/python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
trap '"$root/tests/setup/nats.sh" down "$work/nats"; rm -rf "$work"' EXIT
"$root/tests/setup/nats.sh" up "$work/nats" "$port" "$mon"
export RESH_HOME="$work/home" RESH_CONFIG="$work/config.toml" RESH_BENCH_NATS_PW="$(cat "$work/nats/password")"
mkdir -m 0700 "$RESH_HOME"
cat > "$RESH_CONFIG" <<CONF
[events]
url = "nats://127.0.0.1:$port"
user = "resh"
password = "env:RESH_BENCH_NATS_PW"
tls = "off"
CONF

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
print(f"| emit on NATS, one resh batch, each answered after its JetStream ack | {ok}/{n} ok | {emit_ms} ms | {ok / (emit_ms / 1000):,.0f}/s |")
print(f"| list of those events (ordered consumer, limit=100000) | {listed} | {list_ms} ms | {listed / (list_ms / 1000):,.0f}/s |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
