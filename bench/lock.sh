#!/usr/bin/env bash
# lock:// benchmarks (issue 16): resh side by side with flock(1), what an operator runs otherwise, in one run, as ratios:
#   - an uncontended run of `true` under a named lock: `resh lock:///NAME.run -- true` vs `flock FILE true`
#   - 20 concurrent runs of a read-pause-write increment under one lock (each waits for the others): wall time of all 20
# Each also with the Redis backend (lock://127.0.0.1:PORT/NAME) against a throwaway redis-server on a free loopback port,
# and with the etcd backend (lock://et/NAME, a [lock.et] table) against a throwaway etcd (no auth, no fsync).
# Usage: bench/lock.sh   (RUNS=N per pair, default 30)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
command -v hyperfine >/dev/null || { echo "bench: missing hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work="$(mktemp -d /tmp/resh-bench-lock.XXXXXX)"
command -v redis-server >/dev/null || { echo "bench: missing redis-server (scripts/install-test-deps.sh)" >&2; exit 1; }
command -v etcd >/dev/null || { echo "bench: missing etcd (scripts/install-test-deps.sh)" >&2; exit 1; }
trap '[[ -s "$work/redis.pid" ]] && kill "$(cat "$work/redis.pid")" 2>/dev/null; [[ -n "${etcd_pid:-}" ]] && kill "$etcd_pid" 2>/dev/null; rm -rf "$work"' EXIT
export RESH_HOME="$work/home"
mkdir -m 0700 "$RESH_HOME"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes --pidfile "$work/redis.pid" --dir "$work" --logfile "$work/redis.log"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
redis="lock://127.0.0.1:$port"
free() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ep=$(free); pp=$(free)
etcd --name bench --data-dir "$work/etcd" --logger zap --log-outputs stderr --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$ep" --advertise-client-urls "http://127.0.0.1:$ep" \
  --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
  --initial-cluster "bench=http://127.0.0.1:$pp" 2>"$work/etcd.log" &
etcd_pid=$!
for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$ep" --dial-timeout=1s endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
printf '[lock.et]\nurl = "http://127.0.0.1:%s"\n' "$ep" > "$work/config.toml"
export RESH_CONFIG="$work/config.toml"

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/one.json" \
  -n "resh lock run" "$resh lock:///bench.run --format raw -- /bin/true" \
  -n "resh lock run (redis)" "$resh $redis/bench.run --format raw -- /bin/true" \
  -n "resh lock run (etcd)" "$resh lock://et/bench.run --format raw -- /bin/true" \
  -n "flock" "flock $work/bench.lock /bin/true" >&2

echo 0 > "$work/c1"; echo 0 > "$work/c2"; echo 0 > "$work/c3"; echo 0 > "$work/c4"
inc() { echo "n=\$(cat $1); sleep 0.01; echo \$((n+1)) > $1"; }
# A bare `wait` would also wait for the etcd server started above, for ever: each loop waits for its own runs.
pids=()
start=$(date +%s%N)
for i in $(seq 20); do "$resh" lock:///counter.run wait=120s --format raw -- /bin/sh -c "$(inc "$work/c1")" & pids+=($!); done; wait "${pids[@]}"; pids=()
mid=$(date +%s%N)
for i in $(seq 20); do flock -w 120 "$work/counter.lock" /bin/sh -c "$(inc "$work/c2")" & pids+=($!); done; wait "${pids[@]}"; pids=()
end=$(date +%s%N)
for i in $(seq 20); do "$resh" "$redis/counter.run" wait=120s --format raw -- /bin/sh -c "$(inc "$work/c3")" & pids+=($!); done; wait "${pids[@]}"; pids=()
last=$(date +%s%N)
for i in $(seq 20); do "$resh" lock://et/counter.run wait=120s --format raw -- /bin/sh -c "$(inc "$work/c4")" & pids+=($!); done; wait "${pids[@]}"; pids=()
etcd_end=$(date +%s%N)

/usr/bin/python3 - "$work" "$(( (mid - start) / 1000000 ))" "$(( (end - mid) / 1000000 ))" "$(cat "$work/c1")" "$(cat "$work/c2")" \
  "$(( (last - end) / 1000000 ))" "$(cat "$work/c3")" "$(( (etcd_end - last) / 1000000 ))" "$(cat "$work/c4")" <<'PY'
import json, os, sys
d, resh20, flock20, c1, c2, redis20, c3, etcd20, c4 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7], int(sys.argv[8]), sys.argv[9]
r = json.load(open(f"{d}/one.json"))["results"]
a, rd, et, b = r[0]["median"] * 1000, r[1]["median"] * 1000, r[2]["median"] * 1000, r[3]["median"] * 1000
print("| comparison | resh | flock | ratio |")
print("|---|---|---|---|")
print(f"| one uncontended run of /bin/true under a lock (median) | {a:.2f} ms | {b:.2f} ms | {a / b:.2f}x |")
print(f"| one uncontended run of /bin/true under a Redis lock (median) | {rd:.2f} ms | {b:.2f} ms | {rd / b:.2f}x |")
print(f"| one uncontended run of /bin/true under an etcd lock (median) | {et:.2f} ms | {b:.2f} ms | {et / b:.2f}x |")
print(f"| 20 concurrent increments under one lock (wall, counter {c1} / {c2}) | {resh20} ms | {flock20} ms | {resh20 / flock20:.2f}x |")
print(f"| 20 concurrent increments under one Redis lock (wall, counter {c3} / {c2}) | {redis20} ms | {flock20} ms | {redis20 / flock20:.2f}x |")
print(f"| 20 concurrent increments under one etcd lock (wall, counter {c4} / {c2}) | {etcd20} ms | {flock20} ms | {etcd20 / flock20:.2f}x |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
