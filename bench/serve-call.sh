#!/usr/bin/env bash
# resh serve (issue 18): POST /v1/call of system://.uptime with token auth, RBAC and the audit trail on, from a small
# C# load generator (bench/serve-load/Program.cs, one POST per connection: it asks for Connection: close).
# Prints requests/s, p50/p99 latency, status counts, and the server's RSS before and after the run.
#   bench/serve-call.sh            CONCURRENCY=32 DURATION=300 bench/serve-call.sh   (defaults: 8 connections, 20 s)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
concurrency="${CONCURRENCY:-8}" duration="${DURATION:-20}"

work="$(mktemp -d /tmp/resh-bench-serve.XXXXXX)" server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# The load generator, built once outside the repository's build settings.
gen="$root/.build/bench/serve-load/ServeLoad.dll"
if [[ ! -f "$gen" || "$root/bench/serve-load/Program.cs" -nt "$gen" ]]; then
    mkdir -p "$work/gen"
    cp "$root/bench/serve-load/Program.cs" "$root/bench/serve-load/ServeLoad.csproj" "$work/gen/"
    dotnet build -c Release -o "$root/.build/bench/serve-load" "$work/gen/ServeLoad.csproj" >/dev/null
fi

export RESH_HOME="$work/home" RESH_CONFIG="$work/config.toml"
printf '[roles.bench]\nallow = ["system.uptime", "system.load"]\nread_only = true\n' > "$RESH_CONFIG"
token="$("$resh" token create name=bench role=bench --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["token"])')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$resh" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/call" -d '{"stage":"system://","verb":"uptime"}' >/dev/null
rss_start="$(rss)"
result="$(dotnet "$gen" "http://127.0.0.1:$port/v1/call" "$token" '{"stage":"system://","verb":"uptime"}' "$concurrency" "$duration" 3)"
rss_end="$(rss)"
records="$(wc -l < "$RESH_HOME/audit/audit.jsonl")"
verify="$("$resh" audit verify --format json | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("intact" if r["intact"] else "BROKEN")')"
python3 - "$result" "$rss_start" "$rss_end" "$records" "$verify" "$concurrency" "$duration" <<'PY'
import json, os, sys
r = json.loads(sys.argv[1])
print(f"| POST /v1/call system://.uptime (token, role, audit) | {r['rps']:,.0f} req/s | p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.1f} ms "
      f"| statuses {r['statuses']}, socket errors {r['errors']} | RSS {int(sys.argv[2])/1024:.1f} -> {int(sys.argv[3])/1024:.1f} MiB "
      f"| {sys.argv[4]} audit records, chain {sys.argv[5]} | {sys.argv[6]} connections, {sys.argv[7]} s, load {os.getloadavg()[0]:.1f} |")
PY
