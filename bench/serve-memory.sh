#!/usr/bin/env bash
# resh serve (issue 18): is memory flat over a long run? POST /v1/call of system://.uptime with token auth, RBAC and the
# audit trail on, from the C# load generator (bench/serve-load), for DURATION seconds (default 300); the server's RSS
# is sampled at the start, every INTERVAL seconds (default 30) and at the end. Prints the samples and one table row.
#   bench/serve-memory.sh          CONCURRENCY=8 DURATION=300 INTERVAL=30 bench/serve-memory.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
concurrency="${CONCURRENCY:-8}" duration="${DURATION:-300}" interval="${INTERVAL:-30}"

work="$(mktemp -d /tmp/resh-bench-servemem.XXXXXX)" server="" load=""
trap '[[ -n "$load" ]] && kill "$load" 2>/dev/null; [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

gen="$root/.build/bench/serve-load/ServeLoad.dll"
if [[ ! -f "$gen" || "$root/bench/serve-load/Program.cs" -nt "$gen" ]]; then
    mkdir -p "$work/gen"
    cp "$root/bench/serve-load/Program.cs" "$root/bench/serve-load/ServeLoad.csproj" "$work/gen/"
    dotnet build -c Release -o "$root/.build/bench/serve-load" "$work/gen/ServeLoad.csproj" >/dev/null
fi

export RESH_HOME="$work/home" RESH_CONFIG="$work/config.toml"
printf '[roles.bench]\nallow = ["system.uptime", "system.load"]\nread_only = true\n' > "$RESH_CONFIG"
token="$("$resh" token create name=bench role=bench --format raw)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$resh" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/call" -d '{"stage":"system://","verb":"uptime"}' >/dev/null
samples="0:$(rss)"
echo "t=0 s RSS $(( $(rss) / 1024 )) MiB" >&2
dotnet "$gen" "http://127.0.0.1:$port/v1/call" "$token" '{"stage":"system://","verb":"uptime"}' "$concurrency" "$duration" 3 > "$work/load.json" &
load=$!
for (( t = interval; t <= duration; t += interval )); do
    sleep "$interval"
    kill -0 "$server" 2>/dev/null || { echo "the server died" >&2; cat "$work/serve.log" >&2; exit 1; }
    samples="$samples $t:$(rss)"
    echo "t=$t s RSS $(( $(rss) / 1024 )) MiB" >&2
done
wait "$load"; load=""
samples="$samples end:$(rss)"
records="$(wc -l < "$RESH_HOME/audit/audit.jsonl")"
python3 - "$(cat "$work/load.json")" "$samples" "$records" "$concurrency" "$duration" "$("$resh" --version 2>/dev/null | head -1 || true)" <<'PY'
import json, os, sys
r = json.loads(sys.argv[1])
samples = [(k, int(v) / 1024) for k, v in (s.split(":") for s in sys.argv[2].split())]
series = ", ".join(f"{k}{'' if k == 'end' else ' s'}: {v:.1f}" for k, v in samples)
mid = [v for k, v in samples if k not in ("0", "end")]
print(f"| POST /v1/call system://.uptime for {sys.argv[5]} s ({sys.argv[4]} connections; token, role, audit) | {r['rps']:,.0f} req/s, "
      f"{int(r['rps'] * int(sys.argv[5])):,} requests, p99 {r['p99_ms']:.2f} ms | RSS MiB {series} | "
      f"first sample under load {mid[0]:.1f} -> end {samples[-1][1]:.1f} MiB | {sys.argv[3]} audit records, statuses {r['statuses']}, load {os.getloadavg()[0]:.1f} |")
PY
