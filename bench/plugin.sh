#!/usr/bin/env bash
# plugin:// benchmark (issue 17): a plugin verb call through resh vs running the plugin's executable directly with the
# same request on stdin. The plugin is a tiny one (a POSIX sh script that answers a fixed envelope without starting an
# interpreter), so the difference is resh's own overhead: start-up, the store lookup (plugin.json read, checksums of
# the plugin's files re-hashed), argument typing, starting the process with a minimal environment, reading and
# checking its envelope, writing resh's.
#   bench/plugin.sh              # ROUNDS=3 rounds of 30 runs each
# Reports the overhead in ms (median of rounds). Writes bench/results/plugin.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
[[ -n "${RESH:-}" ]] || scripts/build-native.sh >&2
resh="${RESH:-$root/.build/resh/resh}"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/plugin-*.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/home"

mkdir -p "$work/fast"
cat > "$work/fast/fast.sh" <<'SH'
#!/bin/sh
# Reads its request and answers one envelope (no JSON parsing: the cost measured is resh's, not an interpreter's).
cat >/dev/null
printf '%s\n' '{"ok":true,"changed":false,"result":{"message":"hi"}}'
SH
chmod +x "$work/fast/fast.sh"
sum=$(sha256sum "$work/fast/fast.sh" | cut -d' ' -f1)
cat > "$work/fast/plugin.json" <<JSON
{"protocol":1,"name":"fast","version":"1.0.0","scheme":"fast","summary":"Answers at once.","executable":"fast.sh",
 "verbs":[{"name":"hi","summary":"Say hi.","args":{"type":"object","properties":{"name":{"type":"string","description":"Who."}}}}],
 "checksums":{"fast.sh":"sha256:$sum"}}
JSON
"$resh" plugin://.install from="$work/fast" >/dev/null
request='{"protocol":1,"scheme":"fast","target":"x","verb":"hi","args":{"name":"a"},"dry_run":false}'
printf '%s\n' "$request" > "$work/request.json"
direct="$RESH_HOME/plugins/fast/fast.sh"
"$resh" fast://x.hi name=a | grep -q '"ok":true'

for round in $(seq "${ROUNDS:-3}"); do
    # Through a shell (hyperfine subtracts its cost) so the direct run gets the request on stdin; resh gets /dev/null.
    hyperfine --warmup 5 --runs 30 --export-json "$out/plugin-$round.json" \
        -n "resh fast://x.hi" "$resh fast://x.hi name=a </dev/null" \
        -n "plugin executable directly" "$direct <$work/request.json" >&2
done

python3 - "$out" <<'PY' | tee "$out/plugin.md"
import json, sys, os, glob, statistics
out = sys.argv[1]
a, b = "resh fast://x.hi", "plugin executable directly"
r = [{x["command"]: x for x in json.load(open(f))["results"]} for f in sorted(glob.glob(os.path.join(out, "plugin-[0-9]*.json")))]
ms = lambda c: statistics.median(x[c]["median"] for x in r) * 1000
over = statistics.median((x[a]["median"] - x[b]["median"]) * 1000 for x in r)
print("| comparison | resh | direct | overhead (median of rounds) |")
print("|---|---|---|---|")
print(f"| `fast://x.hi name=a` (a sh plugin) vs its executable with the same request | {ms(a):.2f} ms | {ms(b):.2f} ms | {over:.2f} ms |")
PY
