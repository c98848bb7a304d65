#!/usr/bin/env bash
# cache:// benchmarks (issue 14): resh side by side with redis-cli (what an operator runs otherwise) against the
# test servers of tests/setup/cache.sh (Redis 7 with requirepass on a free loopback port), in one run, as ratios:
#   - one get / one set per process: `resh cache://...get key=k` vs `redis-cli GET k` (password from a file / env)
#   - 100,000 sets in one `resh batch` (one pooled connection) vs `redis-cli` reading the same 100,000 SETs from stdin
#     (one connection, one command after the other, like batch) and `redis-cli --pipe` (pipelined, the upper bound)
# Usage: bench/cache.sh   (RUNS=N per pair, default 30; SETS=N, default 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine redis-cli; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine redis-tools)" >&2; exit 1; }; done
sets="${SETS:-100000}"
work="$(mktemp -d /tmp/resh-bench-cache.XXXXXX)"
cleanup() { "$root/tests/setup/cache.sh" down "$work/srv" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
free() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rp=$(free); tp=$(free); mp=$(free)
"$root/tests/setup/cache.sh" up "$work/srv" "$rp" "$tp" "$mp"
pw="$work/srv/password"
export REDISCLI_AUTH=testpw
redis-cli -p "$rp" SET k v >/dev/null

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/get.json" \
  -n "resh get" "$resh cache://127.0.0.1:$rp.get key=k password=file:$pw" \
  -n "redis-cli GET" "redis-cli -p $rp GET k" >&2
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/set.json" \
  -n "resh set" "$resh cache://127.0.0.1:$rp.set key=k value=v password=file:$pw" \
  -n "redis-cli SET" "redis-cli -p $rp SET k v" >&2

/usr/bin/python3 - "$sets" "$rp" "$pw" "$work" <<'PY'
import sys, json
n, port, pw, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(f"{d}/batch.ndjson", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": i, "stage": f"cache://127.0.0.1:{port}", "verb": "set", "args": {"key": f"b:{i}", "value": f"v{i}", "password": f"file:{pw}"}}) + "\n")
with open(f"{d}/cli.txt", "w") as f:
    for i in range(n): f.write(f"SET c:{i} v{i}\n")
with open(f"{d}/pipe.txt", "w") as f:
    for i in range(n):
        k, v = f"p:{i}", f"v{i}"
        f.write(f"*3\r\n$3\r\nSET\r\n${len(k)}\r\n{k}\r\n${len(v)}\r\n{v}\r\n")
PY
t() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); python3 -c "print($e-$s)"; }
batch_s=$(t sh -c "'$resh' batch < '$work/batch.ndjson' > '$work/batch.out'")
ok=$(grep -c '"ok":true' "$work/batch.out" || true)
cli_s=$(t sh -c "redis-cli -p $rp < '$work/cli.txt' > /dev/null")
pipe_s=$(t sh -c "redis-cli -p $rp --pipe < '$work/pipe.txt' > /dev/null")
stored=$(redis-cli -p "$rp" --scan --pattern 'b:*' | wc -l)

/usr/bin/python3 - "$work" "$sets" "$batch_s" "$ok" "$cli_s" "$pipe_s" "$stored" <<'PY'
import json, sys, os
d, n, batch_s, ok, cli_s, pipe_s, stored = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
def pair(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["median"], b["median"]
load = open("/proc/loadavg").read().split()[0]
print("## cache (issue 14)")
print()
print(f"Command: `bench/cache.sh` (tests/setup/cache.sh: Redis 7 with requirepass on loopback; hyperfine medians; {os.cpu_count()} CPUs, load average {load} at the end).")
print()
print("| comparison | resh | redis-cli | ratio |")
print("|---|---|---|---|")
for f, label in [("get.json", "one get per process: `cache://.get key=k` vs `redis-cli GET k`"), ("set.json", "one set per process: `cache://.set key=k value=v` vs `redis-cli SET k v`")]:
    r, c = pair(f)
    print(f"| {label} | {r*1000:.1f} ms | {c*1000:.1f} ms | {r/c:.2f}x |")
print(f"| {n:,} sets in one `resh batch` (one pooled connection, {ok:,} ok, {stored:,} keys stored) vs `redis-cli` reading {n:,} SET lines | {batch_s:.2f} s = {n/batch_s:,.0f}/s | {cli_s:.2f} s = {n/cli_s:,.0f}/s | {batch_s/cli_s:.2f}x |")
print(f"| the same {n:,} SETs with `redis-cli --pipe` (pipelined: the server's bound) | | {pipe_s:.2f} s = {n/pipe_s:,.0f}/s | |")
PY
