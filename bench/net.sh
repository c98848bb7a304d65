#!/usr/bin/env bash
# net:// benchmarks (issue 13): resh side by side with the tool an operator would run, in one hyperfine run per pair, as ratios:
#   - TCP connect check of an open loopback port: `resh net://127.0.0.1:PORT.tcp` vs `nc -z 127.0.0.1 PORT`
#   - ICMP echo: `resh net://127.0.0.1.ping count=1` vs `ping -c 1 127.0.0.1`
#   - interfaces: `resh net://.interfaces` vs `ip -j addr`
# Everything stays on loopback; the listener is an `nc -lk` started here and stopped on exit.
# Usage: bench/net.sh   (RUNS=N, default 100)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine nc ping ip python3; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine netcat-openbsd iputils-ping iproute2)" >&2; exit 1; }; done

work="$(mktemp -d /tmp/resh-bench-net.XXXXXX)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nc -lk 127.0.0.1 "$port" >/dev/null </dev/null & pid=$!
for _ in $(seq 50); do nc -z 127.0.0.1 "$port" && break; sleep 0.1; done
runs="${RUNS:-100}"

hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/tcp.json" \
  -n "resh tcp" "$resh net://127.0.0.1:$port.tcp" \
  -n "nc -z" "nc -z 127.0.0.1 $port" >&2
hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/ping.json" \
  -n "resh ping" "$resh net://127.0.0.1.ping count=1" \
  -n "ping -c 1" "ping -c 1 -q 127.0.0.1" >&2
hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/ifaces.json" \
  -n "resh interfaces" "$resh net://.interfaces" \
  -n "ip -j addr" "ip -j addr" >&2

python3 - "$work" <<'PY'
import json, sys, os
d = sys.argv[1]
def pair(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["median"], b["median"], a["user"] + a["system"], b["user"] + b["system"]
load = open("/proc/loadavg").read().split()[0]
print("## net (issue 13)")
print()
print(f"Command: `bench/net.sh` (loopback only, hyperfine medians and mean CPU time; {os.cpu_count()} CPUs, load average {load} at the end).")
print()
print("| comparison | resh wall | other wall | wall ratio | resh CPU | other CPU | CPU ratio |")
print("|---|---|---|---|---|---|---|")
rows = [("tcp.json", "TCP connect check: `net://127.0.0.1:PORT.tcp` vs `nc -z`"),
        ("ping.json", "one echo: `net://127.0.0.1.ping count=1` vs `ping -c 1`"),
        ("ifaces.json", "`net://.interfaces` vs `ip -j addr`")]
for f, label in rows:
    r, c, rc, cc = pair(f)
    print(f"| {label} | {r*1000:.2f} ms | {c*1000:.2f} ms | {r/c:.2f}x | {rc*1000:.2f} ms | {cc*1000:.2f} ms | {rc/cc:.2f}x |")
PY
