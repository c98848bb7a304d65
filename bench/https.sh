#!/usr/bin/env bash
# https:// handshake benchmark (issue 13 D24): one HTTPS GET per process against a local `openssl s_server -www`
# with a test CA made here, `resh URL.get ca=CA` vs `curl -s --cacert CA URL` in one hyperfine run, and the
# handshake time resh reports itself (timings.tls_ms, median of 20 calls). RESH_OLD=BINARY adds an older resh
# to the same run (before/after a change).
# Usage: bench/https.sh   (RUNS=N, RESH_OLD=/path/to/old/resh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine curl openssl; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine curl openssl)" >&2; exit 1; }; done

work="$(mktemp -d /tmp/resh-bench-https.XXXXXX)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=resh bench CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 1 -extfile ext.cnf 2>/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -www -quiet >/dev/null 2>&1 & pid=$!
url="https://127.0.0.1:$port/"
for _ in $(seq 50); do curl -sf --cacert ca.pem "$url" >/dev/null && break; sleep 0.1; done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

cmds=(-n "resh get ca=" "$resh $url.get ca=$work/ca.pem" -n "curl --cacert" "curl -s --cacert $work/ca.pem $url")
[[ -n "${RESH_OLD:-}" ]] && cmds+=(-n "old resh get ca=" "$RESH_OLD $url.get ca=$work/ca.pem")
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/get.json" "${cmds[@]}" >&2

tls() { for _ in $(seq 20); do "$1" "$url.get" ca="$work/ca.pem" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["timings"]["tls_ms"])'; done | sort -n | sed -n 10p; }
new_tls=$(tls "$resh"); old_tls=""; [[ -n "${RESH_OLD:-}" ]] && old_tls=$(tls "$RESH_OLD")

/usr/bin/python3 - "$work/get.json" "$new_tls" "$old_tls" <<'PY'
import json, sys, os
res = json.load(open(sys.argv[1]))["results"]
load = open("/proc/loadavg").read().split()[0]
print(f"Command: `bench/https.sh` (openssl s_server -www on loopback, test CA; hyperfine medians and mean CPU time; {os.cpu_count()} CPUs, load average {load} at the end).")
print()
print("| command | wall (median) | CPU (user+sys) | wall ratio to curl | tls_ms reported by resh (median of 20) |")
print("|---|---|---|---|---|")
curl = next(r for r in res if r["command"] == "curl --cacert")
for r in res:
    t = sys.argv[2] if r["command"] == "resh get ca=" else sys.argv[3] if r["command"] == "old resh get ca=" else "-"
    print(f"| {r['command']} | {r['median']*1000:.1f} ms | {(r['user']+r['system'])*1000:.1f} ms | {r['median']/curl['median']:.2f}x | {t or '-'} |")
PY
