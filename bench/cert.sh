#!/usr/bin/env bash
# cert:// benchmarks (issue 12), side by side with openssl in one run:
#   1. `cert://127.0.0.1:PORT.info` vs `openssl s_client -connect ... | openssl x509 -noout -text`
#      against one `openssl s_server` on loopback;
#   2. reading a certificate file: `cert:///FILE.info` vs `openssl x509 -in FILE -noout -text`;
#   3. key + self-signed CA: `cert:///F ca.create` (P-256) vs `openssl req -x509 -newkey ec`;
#   4. key + self-signed leaf: `cert:///F selfsigned.create` (P-256, SAN) vs `openssl req -x509 -newkey ec -addext subjectAltName`.
#   bench/cert.sh              # ROUNDS=5 rounds of 20 runs each
# Target: ≤ 1.0x openssl's time. Writes bench/results/cert.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
scripts/build-native.sh >&2
resh="$root/.build/resh/resh"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/cert-*.json
work="$(mktemp -d)"
server=
trap '[[ -n $server ]] && kill "$server"; rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" -www -quiet >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
"$resh" "cert://127.0.0.1:$port.info" >/dev/null

for round in $(seq "${ROUNDS:-5}"); do
    hyperfine -N --warmup 3 --runs 20 --export-json "$out/cert-endpoint-$round.json" \
        -n "resh endpoint info" "$resh cert://127.0.0.1:$port.info" \
        -n "openssl s_client | x509" "sh -c 'openssl s_client -connect 127.0.0.1:$port </dev/null 2>/dev/null | openssl x509 -noout -text'" >&2
    hyperfine -N --warmup 3 --runs 20 --export-json "$out/cert-file-$round.json" \
        -n "resh file info" "$resh cert://$work/cert.pem.info" \
        -n "openssl x509 -text" "openssl x509 -in $work/cert.pem -noout -text" >&2
    hyperfine -N --warmup 3 --runs 20 --export-json "$out/cert-create-$round.json" --prepare "rm -f $work/ca.pem $work/ca.key $work/ca.srl" \
        -n "resh ca.create" "$resh cert://$work/ca.pem ca.create subject=CN=Bench" \
        -n "openssl req -x509 -newkey" "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=Bench -keyout $work/ca.key -out $work/ca.pem" >&2
    hyperfine -N --warmup 3 --runs 20 --export-json "$out/cert-selfsigned-$round.json" --prepare "rm -f $work/s.pem $work/s.key" \
        -n "resh selfsigned.create" "$resh cert://$work/s.pem selfsigned.create subject=CN=bench.test" \
        -n "openssl req -x509 leaf" "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test -keyout $work/s.key -out $work/s.pem" >&2
done

python3 - "$out" <<'PY' | tee "$out/cert.md"
import json, sys, os, glob, statistics
out = sys.argv[1]
def load(path): return {r["command"]: r for r in json.load(open(path))["results"]}
def rows(kind): return [load(f) for f in sorted(glob.glob(os.path.join(out, f"cert-{kind}-[0-9]*.json")))]
print("| comparison | resh | openssl | ratio (median of rounds) | target |")
print("|---|---|---|---|---|")
for kind, a, b, label in [("endpoint", "resh endpoint info", "openssl s_client | x509", "`cert://127.0.0.1:PORT.info` vs `openssl s_client \\| openssl x509 -noout -text`"),
                          ("file", "resh file info", "openssl x509 -text", "`cert:///FILE.info` vs `openssl x509 -in FILE -noout -text`"),
                          ("create", "resh ca.create", "openssl req -x509 -newkey", "key + self-signed CA: `cert:///F ca.create` vs `openssl req -x509 -newkey ec`"),
                          ("selfsigned", "resh selfsigned.create", "openssl req -x509 leaf", "key + self-signed leaf: `cert:///F selfsigned.create` vs `openssl req -x509 -newkey ec -addext subjectAltName=...`")]:
    r = rows(kind)
    ms = lambda c: statistics.median(x[c]["median"] for x in r) * 1000
    ratio = statistics.median(x[a]["median"] / x[b]["median"] for x in r)
    print(f"| {label} | {ms(a):.2f} ms | {ms(b):.2f} ms | {ratio:.2f}x | ≤ 1.0x |")
PY
