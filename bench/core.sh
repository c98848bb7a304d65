#!/usr/bin/env bash
# Core benchmark (issue 2): resh side by side with the tools a user would otherwise run, in one run.
#   bench/core.sh            # full run (creates a 1 GiB file under $TMPDIR)
#   BIG_MB=256 bench/core.sh # smaller hash file
#   STARTUP_ONLY=1 bench/core.sh  # only the start-up rounds (wall and CPU time against the hello world)
# Prints a markdown report to stdout and writes bench/results/core.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
[[ -x /usr/bin/time ]] || apt-get -o DPkg::Lock::Timeout=900 install -y -qq time >/dev/null
[[ -n "${RESH:-}" ]] || scripts/build-native.sh >&2
resh="${RESH:-$root/.build/resh/resh}"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/startup*.json "$out"/hash.json "$out"/batch.json "$out"/stats.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The floor: a bare Native AOT hello world built with the same SDK (bench/hello-world.sh); HELLO=path reuses one.
hello="${HELLO:-$work/hello/out/hello}"
[[ -n "${HELLO:-}" ]] || "$root/bench/hello-world.sh" "$work/hello"

startup_only="${STARTUP_ONLY:-}"
big="$work/big.bin"
[[ -n "$startup_only" ]] || head -c "$(( ${BIG_MB:-1024} * 1024 * 1024 ))" /dev/urandom > "$big"
for i in $(seq 1000); do echo "{\"id\":$i,\"stage\":\"file:///etc/hosts\",\"verb\":\"read\"}"; done > "$work/reads.ndjson"
for i in $(seq 100000); do echo "{\"id\":$i,\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}"; done > "$work/stats.ndjson"
cat > "$work/thousand.sh" <<SH
for i in \$(seq 1000); do "$resh" file:///etc/hosts.read >/dev/null; done
SH

hf() { hyperfine -N --warmup "${WARMUP:-10}" --runs "${RUNS:-40}" --export-json "$out/$1.json" "${@:2}" >&2; }
# Start-up pairs: this VM shares its host and the same binary's start-up moves by up to 25% from one
# minute to the next, so they run in ROUNDS short rounds (all commands in each round, one after the
# other within a second) and every ratio is taken within a round; the report gives medians over rounds.
for round in $(seq "${ROUNDS:-15}"); do
    RUNS=30 WARMUP=5 hf "startup-$round" -n hello "$hello" -n "resh file.read raw" "$resh file:///etc/hosts.read --format raw" \
        -n "cat" "cat /etc/hosts" -n "resh system.memory" "$resh system://.memory" -n "free -b" "free -b" \
        -n "resh file.stat" "$resh file:///etc/hosts.stat" -n "stat" "stat /etc/hosts"
done
if [[ -z "$startup_only" ]]; then
RUNS=5 WARMUP=1 hf hash -n "resh file.hash" "$resh file://$big.hash" -n "sha256sum" "sha256sum $big"
RUNS=5 WARMUP=1 hf batch -n "resh batch (1000 reads)" "bash -c '$resh batch < $work/reads.ndjson > /dev/null'" \
            -n "1000 resh processes" "bash $work/thousand.sh"
RUNS=5 WARMUP=1 hf stats -n "resh batch (100000 stats)" "bash -c '$resh batch < $work/stats.ndjson > /dev/null'"
fi

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_read=$(rss "$resh" file:///etc/hosts.read --format raw)
rss_mem=$(rss "$resh" system://.memory)
rss_hello=$(rss "$hello")
rss_hash=-
[[ -n "$startup_only" ]] || rss_hash=$(rss "$resh" "file://$big.hash")

python3 - "$out" "$rss_hello" "$rss_read" "$rss_mem" "$rss_hash" "${BIG_MB:-1024}" <<'PY' | tee "$out/core.md"
import json, sys, os
out, rss_hello, rss_read, rss_mem, rss_hash, big_mb = sys.argv[1:]
def load(name):
    return {r["command"]: r for r in json.load(open(os.path.join(out, name + ".json")))["results"]}
import statistics, glob
full = os.path.exists(os.path.join(out, "hash.json"))
h, b, st = (load("hash"), load("batch"), load("stats")) if full else ({}, {}, {})
rounds = [load(os.path.basename(f)[:-5]) for f in sorted(glob.glob(os.path.join(out, "startup-*.json")))]
def ms(cmd):  # median over rounds of each round's median
    return statistics.median(r[cmd]["median"] for r in rounds) * 1000
def ratio(a, c):  # median over rounds of the within-round ratio
    return statistics.median(r[a]["median"] / r[c]["median"] for r in rounds)
def cpu(r, cmd):  # user + system CPU time of one run, mean over the round's runs
    return r[cmd]["user"] + r[cmd]["system"]
def cpu_ms(cmd):
    return statistics.median(cpu(r, cmd) for r in rounds) * 1000
def cpu_ratio(a, c):
    return statistics.median(cpu(r, a) / cpu(r, c) for r in rounds)
def row(label, a, c, target):
    print(f"| {label} | {ms(a):.2f} ms | {ms(c):.2f} ms | {ratio(a, c):.2f}x | {cpu_ms(a):.2f} ms | {cpu_ms(c):.2f} ms | {cpu_ratio(a, c):.2f}x | {target} |")
print(f"| comparison | resh wall | other wall | wall ratio | resh CPU | other CPU | CPU ratio | target |")
print("|---|---|---|---|---|---|---|---|")
row("`file:///etc/hosts.read --format raw` vs `cat /etc/hosts`", "resh file.read raw", "cat", "-")
row("`file:///etc/hosts.read --format raw` vs AOT hello-world floor", "resh file.read raw", "hello", "≤ 1.5x")
row("`file:///etc/hosts.stat` vs `stat /etc/hosts`", "resh file.stat", "stat", "-")
row("`file:///etc/hosts.stat` vs AOT hello-world floor", "resh file.stat", "hello", "≤ 1.5x")
row("`system://.memory` vs `free -b`", "resh system.memory", "free -b", "-")
row("`system://.memory` vs AOT hello-world floor", "resh system.memory", "hello", "≤ 1.5x")
print(f"| peak RSS: hello / file.read / system.memory | {rss_hello} / {rss_read} / {rss_mem} KiB | | | | | | < 40 MiB |")
print(f"\n(wall: medians over {len(rounds)} rounds of each round's median and of within-round ratios; CPU: user+sys per call, same rounds)")
if full:
    print()
    print("| comparison | resh | other | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| `file://BIG.hash` vs `sha256sum BIG` ({big_mb} MiB) | {h['resh file.hash']['mean']:.3f} s | {h['sha256sum']['mean']:.3f} s | {h['resh file.hash']['mean']/h['sha256sum']['mean']:.2f}x | ≤ 1.1x |")
    bb, bp = b["resh batch (1000 reads)"]["mean"], b["1000 resh processes"]["mean"]
    print(f"| 1,000 reads: `resh batch` vs 1,000 `resh` processes | {bb*1000:.0f} ms | {bp*1000:.0f} ms | {bp/bb:.1f}x faster | - |")
    rate = 100000 / st["resh batch (100000 stats)"]["mean"]
    print(f"| `file.stat` through `resh batch` | {rate:,.0f} /s | | | ≥ 20,000 /s |")
    print(f"| peak RSS: hello / file.read / system.memory / 1 GiB hash | {rss_hello} / {rss_read} / {rss_mem} / {rss_hash} KiB | | | < 40 MiB |")
PY
