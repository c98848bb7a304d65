#!/usr/bin/env bash
# plugin:// ndjson benchmark (issue 17): 200 calls of one Python plugin verb in one `resh batch`, the plugin in oneshot mode
# (a python3 process per call) vs ndjson mode (one python3 process for the whole batch); and the cost of the watcher
# that kills plugin process groups when resh dies (PluginReaper: `resh __plugin-reaper`, started once per resh run).
#   bench/plugin-ndjson.sh          # ROUNDS=3 rounds
# Writes bench/results/plugin-ndjson.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
[[ -n "${RESH:-}" ]] || scripts/build-native.sh >&2
resh="${RESH:-$root/.build/resh/resh}"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/plugin-ndjson-*.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/home"
calls="${CALLS:-200}"

for mode in oneshot ndjson; do
    "$resh" plugin://.new name="py$mode" language=python mode="$mode" dir="$work/py$mode" >/dev/null
    "$resh" plugin://.install from="$work/py$mode" >/dev/null
    for i in $(seq "$calls"); do printf '{"id":%d,"stage":"py%s://w%d.greet"}\n' "$i" "$mode" "$i"; done > "$work/$mode.ndjson"
    "$resh" batch < "$work/$mode.ndjson" | grep -c '"ok":true' | grep -qx "$calls"
done

for round in $(seq "${ROUNDS:-3}"); do
    hyperfine --warmup 1 --runs 5 --export-json "$out/plugin-ndjson-$round.json" \
        -n "oneshot batch" "$resh batch < $work/oneshot.ndjson" \
        -n "ndjson batch" "$resh batch < $work/ndjson.ndjson" \
        -n "watcher alone" "$resh __plugin-reaper < /dev/null" \
        -n "resh --version" "$resh --version" >&2
done

python3 - "$out" "$calls" <<'PY' | tee "$out/plugin-ndjson.md"
import json, sys, os, glob, statistics
out, calls = sys.argv[1], int(sys.argv[2])
r = [{x["command"]: x for x in json.load(open(f))["results"]} for f in sorted(glob.glob(os.path.join(out, "plugin-ndjson-[0-9]*.json")))]
ms = lambda c: statistics.median(x[c]["median"] for x in r) * 1000
print("| measurement | median of rounds |")
print("|---|---|")
print(f"| `resh batch`, {calls} calls of a python3 plugin, oneshot | {ms('oneshot batch'):.0f} ms ({ms('oneshot batch')/calls:.2f} ms per call) |")
print(f"| `resh batch`, {calls} calls of a python3 plugin, ndjson | {ms('ndjson batch'):.0f} ms ({ms('ndjson batch')/calls:.2f} ms per call) |")
print(f"| the watcher alone (`resh __plugin-reaper </dev/null`: start, EOF, exit) | {ms('watcher alone'):.2f} ms |")
print(f"| `resh --version` (start-up, for scale) | {ms('resh --version'):.2f} ms |")
PY
