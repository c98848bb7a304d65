#!/usr/bin/env bash
# A/B start-up comparison of two resh binaries on the same call, in short interleaved rounds (the host's
# noise moves by the minute, so each round measures both binaries back to back and the report gives
# medians over rounds of each round's medians).
#   bench/ab.sh OLD_BINARY NEW_BINARY system://.memory
#   ROUNDS=20 bench/ab.sh /tmp/resh-before .build/resh/resh file:///etc/hosts.read --format raw
# Build OLD_BINARY from another commit with: git worktree add /tmp/old <commit> && (cd /tmp/old && ./resh version)
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n 2,7p "$0" >&2; exit 2; }
old="$1" new="$2"; shift 2
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
for round in $(seq "${ROUNDS:-10}"); do
    hyperfine -N --warmup 5 --runs 30 --export-json "$work/$round.json" -n old "$old $*" -n new "$new $*" >/dev/null 2>&1
done
python3 - "$work" "$*" <<'PY'
import json, glob, os, statistics, sys
rounds = [{r["command"]: r["median"] for r in json.load(open(f))["results"]} for f in glob.glob(os.path.join(sys.argv[1], "*.json"))]
old = statistics.median(r["old"] for r in rounds) * 1000
new = statistics.median(r["new"] for r in rounds) * 1000
ratio = statistics.median(r["new"] / r["old"] for r in rounds)
print(f"`resh {sys.argv[2]}`: old {old:.2f} ms, new {new:.2f} ms, new/old {ratio:.2f} (median of {len(rounds)} rounds)")
PY
