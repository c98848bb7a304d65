#!/usr/bin/env bash
# config:// benchmark (issue 14): get one key from a 1 MiB YAML file, side by side with python3 + PyYAML
# (the yq-style tool available here; CSafeLoader when PyYAML has libyaml, else SafeLoader), one run of
# ROUNDS rounds, reported as a ratio. Also the start-up floor (`file:///etc/hosts.read`) for context.
#   bench/config.sh        # ROUNDS=5 rounds of 10 runs each
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
python3 -c 'import yaml' 2>/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3-yaml >/dev/null
[[ -x .build/resh/resh ]] || scripts/build-native.sh >&2
resh="${RESH_BIN:-$root/.build/resh/resh}"
out="$root/bench/results"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A 1 MiB docker-compose-like YAML: many services with comments, lists and nested maps.
python3 - "$work/big.yaml" <<'PY'
import sys
parts = ["# generated for the benchmark\nversion: \"3.9\"\nservices:\n"]
i = 0
while sum(map(len, parts)) < (1 << 20):
    parts.append(f"  svc{i}:\n    # service {i}\n    image: 'registry.example/app:{i}'\n    ports:\n      - \"{8000 + i % 1000}:80\"\n    environment:\n      LOG_LEVEL: info\n      WORKERS: {i % 16}\n    healthcheck: {{interval: 10s, retries: 3}}\n")
    i += 1
parts.append("server:\n  port: 8080\n")
open(sys.argv[1], "w").write("".join(parts))
PY
[[ "$("$resh" "config://$work/big.yaml" get key=server.port --format raw)" == 8080 ]] || { echo "config.sh: resh did not read the key" >&2; exit 1; }
py="import yaml,sys; L=getattr(yaml,'CSafeLoader',yaml.SafeLoader); print(yaml.load(open(sys.argv[1]),Loader=L)['server']['port'])"
[[ "$(python3 -c "$py" "$work/big.yaml")" == 8080 ]] || { echo "config.sh: python did not read the key" >&2; exit 1; }

for round in $(seq "${ROUNDS:-5}"); do
    hyperfine -N --warmup 2 --runs 10 --export-json "$out/config-$round.json" \
        -n "resh config.get" "$resh config://$work/big.yaml.get key=server.port --format raw" \
        -n "python3 yaml" "python3 -c \"$py\" $work/big.yaml" >&2
done
python3 - "$out" "$(wc -c < "$work/big.yaml")" "$(python3 -c 'import yaml; print("CSafeLoader" if hasattr(yaml,"CSafeLoader") else "SafeLoader")')" <<'PY' | tee "$out/config.md"
import json, glob, os, statistics, sys
rounds = [{r["command"]: r["median"] for r in json.load(open(f))["results"]} for f in glob.glob(os.path.join(sys.argv[1], "config-*.json"))]
a = statistics.median(r["resh config.get"] for r in rounds) * 1000
b = statistics.median(r["python3 yaml"] for r in rounds) * 1000
ratio = statistics.median(r["resh config.get"] / r["python3 yaml"] for r in rounds)
print(f"| `config://FILE.get key=server.port` vs `python3 -c 'import yaml ...'` ({sys.argv[3]}), {int(sys.argv[2]):,} byte YAML | {a:.1f} ms | {b:.1f} ms | {ratio:.2f}x (median of {len(rounds)} rounds) |")
PY
