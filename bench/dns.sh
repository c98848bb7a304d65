#!/usr/bin/env bash
# dns:// benchmark (issue 13), side by side with dig in one run: one A query per process,
# `resh dns://www.example.test.query server=127.0.0.1:5353` vs `dig +short -p 5353 @127.0.0.1 www.example.test A`,
# against the BIND of tests/setup/dns.sh in a throwaway network namespace (needs root).
#   bench/dns.sh              # ROUNDS=5 rounds of 30 runs each
# Target: ≤ 1.5x dig's time. Writes bench/results/dns.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
scripts/build-native.sh >&2
resh="$root/.build/resh/resh"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/dns-*.json
work="$(mktemp -d)"
ns="reshdnsb$$"
trap 'tests/setup/dns.sh down "$work/srv" "$ns" >/dev/null 2>&1; rm -rf "$work"' EXIT
tests/setup/dns.sh up "$work/srv" "$ns" 5353 100 >&2
ip netns exec "$ns" "$resh" dns://www.example.test.query server=127.0.0.1:5353 >/dev/null

for round in $(seq "${ROUNDS:-5}"); do
    ip netns exec "$ns" hyperfine -N --warmup 5 --runs 30 --export-json "$out/dns-query-$round.json" \
        -n "resh query" "$resh dns://www.example.test.query server=127.0.0.1:5353" \
        -n "dig +short" "dig +short -p 5353 @127.0.0.1 www.example.test A" >&2
done

python3 - "$out" <<'PY' | tee "$out/dns.md"
import json, sys, os, glob, statistics
out = sys.argv[1]
r = [{x["command"]: x for x in json.load(open(f))["results"]} for f in sorted(glob.glob(os.path.join(out, "dns-query-[0-9]*.json")))]
ms = lambda c: statistics.median(x[c]["median"] for x in r) * 1000
ratio = statistics.median(x["resh query"]["median"] / x["dig +short"]["median"] for x in r)
print("| comparison | resh | dig | ratio (median of rounds) | target |")
print("|---|---|---|---|---|")
print(f"| one A query per process: `dns://NAME.query server=127.0.0.1:5353` vs `dig +short -p 5353 @127.0.0.1 NAME A` | {ms('resh query'):.2f} ms | {ms('dig +short'):.2f} ms | {ratio:.2f}x | ≤ 1.5x |")
PY
