#!/usr/bin/env bash
# Where an idle `resh agent`'s memory goes (issue 21): N agents (each its own state dir, host name and facts) on one
# loopback nats-server, idle for IDLE seconds after the last is ready; then the first agent's /proc/PID/smaps grouped
# by bench/agent-memory.py (binary pages, the rehydrated type data, GC heap, thread stacks, malloc arenas: RSS, PSS,
# USS), and RSS/PSS/USS (median, max) over all N: with N > 1 the binary's file-backed pages are shared, so PSS is
# what each agent really adds. Variables in the environment reach the agents (e.g. DOTNET_GCgen0size=0x100000,
# RESH_NO_PREFAULT=1): that is how the knobs in docs/benchmarks.md were measured one by one.
# usage: bench/agent-memory.sh [agents] [idle seconds]   (RESH_BIN overrides the binary)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-1}
idle=${2:-5}
if [[ -z "${RESH_BIN:-}" ]]; then "$root/scripts/build-native.sh"; fi
RESH=${RESH_BIN:-$root/.build/resh/resh}
DIR=$(mktemp -d /tmp/ramXXXX)
port=24580
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    "$root/tests/setup/nats.sh" down "$DIR/nats" || true
    rm -rf "$DIR"
}
trap cleanup EXIT
"$root/tests/setup/nats.sh" up "$DIR/nats" "$port" $((port + 1))
mkdir -p "$DIR/caller"
pub=$(RESH_HOME="$DIR/caller" "$RESH" agent key create name=bench --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["public_key"])')
for i in $(seq 1 "$n"); do
    d="$DIR/a$i"; mkdir -p "$d/home" "$d/data"
    cat > "$d/agent.toml" <<CFG
[agent]
url = "nats://127.0.0.1:$port"
tls = "off"
host = "agent$i"
roles = ["r$((i % 2))"]
[agent.callers.bench]
key = "$pub"
role = "ops"
[roles.ops]
allow = ["system.*"]
CFG
    RESH_HOME="$d/home" HOME="$d/data" "$RESH" agent --config "$d/agent.toml" 2>"$d/err" &
    pids+=($!)
done
for i in $(seq 1 "$n"); do
    for _ in $(seq 600); do grep -q "ready on" "$DIR/a$i/err" 2>/dev/null && break; sleep 0.1; done
    grep -q "ready on" "$DIR/a$i/err" || { echo "agent$i did not start:" >&2; cat "$DIR/a$i/err" >&2; exit 1; }
done
sleep "$idle"
echo "agents: $n, idle ${idle}s; knobs: $(env | grep -E '^(DOTNET_|RESH_NO_PREFAULT|RESH_AGENT)' | tr '\n' ' ')"
/usr/bin/python3 "$root/bench/agent-memory.py" "${pids[0]}" "$RESH"
PIDS="${pids[*]}" /usr/bin/python3 - <<'PY'
import os, statistics
def roll(pid):
    d = {}
    for l in open(f"/proc/{pid}/smaps_rollup"):
        p = l.split()
        if p[0].endswith(":") and len(p) > 1 and p[1].isdigit(): d[p[0][:-1]] = int(p[1])
    return d["Rss"] / 1024, d["Pss"] / 1024, (d["Private_Clean"] + d["Private_Dirty"]) / 1024
rs = [roll(p) for p in os.environ["PIDS"].split()]
for k, name in enumerate(("RSS", "PSS", "USS")):
    xs = [r[k] for r in rs]
    print(f"{name}: median {statistics.median(xs):.1f} MiB, max {max(xs):.1f} MiB", end="; " if k < 2 else "\n")
PY
