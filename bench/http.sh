#!/usr/bin/env bash
# http:// benchmarks (issue 13): resh side by side with curl against the same loopback server (busybox httpd
# on a free port), in one hyperfine run per pair, as ratios:
#   - download of a BIG_MB file (default 1024): `resh URL.download(output=F)` vs `curl -s -o F URL`
#   - one small GET per process: `resh URL.get` vs `curl -s URL`
#   - 1,000 small GETs: one `resh batch` (pooled connection) vs 1,000 curl processes
# Usage: bench/http.sh   (BIG_MB=256 for a smaller file; RUNS=N for the small-GET pair)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine curl busybox; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine curl busybox)" >&2; exit 1; }; done

work="$(mktemp -d /tmp/resh-bench-http.XXXXXX)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www" "$work/out"
head -c "$(( ${BIG_MB:-1024} * 1024 * 1024 ))" /dev/urandom > "$work/www/big.bin"
echo '{"status":"ok"}' > "$work/www/health"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" & pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

for i in $(seq 1000); do echo "{\"id\":$i,\"stage\":\"$base/health\",\"verb\":\"get\"}"; done > "$work/gets.ndjson"
cat > "$work/curl1000.sh" <<SH
for i in \$(seq 1000); do curl -s "$base/health" >/dev/null; done
SH

hyperfine -N --warmup 1 --runs 5 --export-json "$work/download.json" \
  -n "resh download" "$resh $base/big.bin.download(output=$work/out/r.bin)" \
  -n "curl -o" "curl -s -o $work/out/c.bin $base/big.bin" >&2
cmp "$work/out/r.bin" "$work/www/big.bin"
hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$work/get.json" \
  -n "resh get" "$resh $base/health.get" \
  -n "curl -s" "curl -s $base/health" >&2
hyperfine --warmup 1 --runs 3 --export-json "$work/many.json" \
  -n "resh batch (1000 GETs)" "$resh batch < $work/gets.ndjson > /dev/null" \
  -n "1000 curl processes" "bash $work/curl1000.sh" >&2

/usr/bin/python3 - "$work" "${BIG_MB:-1024}" <<'PY'
import json, sys, os
d, mb = sys.argv[1], sys.argv[2]
def pair(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["median"], b["median"]
print("## http (issue 13)")
print()
print(f"Command: `bench/http.sh` (busybox httpd on loopback, hyperfine medians; {os.cpu_count()} CPUs).")
print()
print("| comparison | resh | other | ratio | target |")
print("|---|---|---|---|---|")
r, c = pair("download.json")
print(f"| download {mb} MiB: `URL.download(output=F)` vs `curl -s -o F` | {r:.3f} s | {c:.3f} s | {r/c:.2f}x | ≤ 1.1x |")
r, c = pair("get.json")
print(f"| one small GET per process: `URL.get` vs `curl -s` | {r*1000:.2f} ms | {c*1000:.2f} ms | {r/c:.2f}x | ≤ 1.5x |")
r, c = pair("many.json")
print(f"| 1,000 GETs: one `resh batch` vs 1,000 `curl` processes | {r*1000:.0f} ms | {c*1000:.0f} ms | {c/r:.1f}x faster | - |")
PY
