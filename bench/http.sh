#!/usr/bin/env bash
# http:// benchmarks (issue 13): resh side by side with curl against the same loopback servers (busybox httpd
# for the big file, it sends with sendfile; a small keep-alive HTTP/1.1 server from Debian's python3 for the
# small GETs, since busybox closes every connection), in one hyperfine run per pair, as ratios:
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
pid="" pid2=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; [[ -n "$pid2" ]] && kill "$pid2" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www" "$work/out"
head -c "$(( ${BIG_MB:-1024} * 1024 * 1024 ))" /dev/urandom > "$work/www/big.bin"
echo '{"status":"ok"}' > "$work/www/health"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" & pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
cat > "$work/keepalive.py" <<'PY'
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16              # headers and body leave in one write (no Nagle/delayed-ACK stalls)
    disable_nagle_algorithm = True
    def do_GET(self):
        body = b'{"status":"ok"}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
port2=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 "$work/keepalive.py" "$port2" & pid2=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port2/health" >/dev/null && break; sleep 0.1; done
small="http://127.0.0.1:$port2"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

for i in $(seq 1000); do echo "{\"id\":$i,\"stage\":\"$small/health\",\"verb\":\"get\"}"; done > "$work/gets.ndjson"
cat > "$work/curl1000.sh" <<SH
for i in \$(seq 1000); do curl -s "$small/health" >/dev/null; done
SH

hyperfine -N --warmup 1 --runs 5 --export-json "$work/download.json" \
  -n "resh download" "$resh $base/big.bin.download(output=$work/out/r.bin)" \
  -n "curl -o" "curl -s -o $work/out/c.bin $base/big.bin" >&2
cmp "$work/out/r.bin" "$work/www/big.bin"
hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$work/get.json" \
  -n "resh get" "$resh $small/health.get" \
  -n "curl -s" "curl -s $small/health" >&2
hyperfine --warmup 1 --runs 3 --export-json "$work/many.json" \
  -n "resh batch (1000 GETs)" "$resh batch < $work/gets.ndjson > /dev/null" \
  -n "1000 curl processes" "bash $work/curl1000.sh" >&2

/usr/bin/python3 - "$work" "${BIG_MB:-1024}" <<'PY'
import json, sys, os
d, mb = sys.argv[1], sys.argv[2]
def pair(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["median"], b["median"]
def cpu(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["user"] + a["system"], b["user"] + b["system"]
load = open("/proc/loadavg").read().split()[0]
print("## http (issue 13)")
print()
print(f"Command: `bench/http.sh` (loopback servers, hyperfine medians and mean CPU time; {os.cpu_count()} CPUs, load average {load} at the end).")
print()
print("| comparison | resh wall | other wall | wall ratio | resh CPU | other CPU | CPU ratio | target |")
print("|---|---|---|---|---|---|---|---|")
rows = [("download.json", f"download {mb} MiB: `URL.download(output=F)` vs `curl -s -o F`", "≤ 1.1x"),
        ("get.json", "one small GET per process: `URL.get` vs `curl -s`", "≤ 1.5x"),
        ("many.json", "1,000 GETs: one `resh batch` vs 1,000 `curl` processes", "-")]
for f, label, target in rows:
    r, c = pair(f); rc, cc = cpu(f)
    print(f"| {label} | {r*1000:.1f} ms | {c*1000:.1f} ms | {r/c:.2f}x | {rc*1000:.1f} ms | {cc*1000:.1f} ms | {rc/cc:.2f}x | {target} |")
PY
