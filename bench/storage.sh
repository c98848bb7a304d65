#!/usr/bin/env bash
# Storage benchmarks: archive create+extract of a generated mixed tree (text, random binary, many small
# files) as tar.zst, tar.gz and zip, side by side with GNU tar (--zstd, -z) and zip/unzip: wall time in
# one hyperfine run, then user+sys CPU per phase (load-independent); then the snapshot second-run
# space/time ratio. Usage: [RUNS=3] [CPU_RUNS=3] bench/storage.sh [SIZE_MIB=500]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mib=${1:-500}
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine tar zstd zip unzip; do command -v $t >/dev/null || { echo "bench: missing $t (scripts/install-test-deps.sh)" >&2; exit 1; }; done
work="$(mktemp -d /tmp/resh-bench-storage.XXXXXX)"
trap 'rm -rf "$work"' EXIT
src="$work/tree"
echo "bench: generating a ${size_mib} MiB tree in $src" >&2
# ~40% text (compressible), ~40% random binary, ~20% in 4 KiB files (many small files).
/usr/bin/python3 - "$src" "$size_mib" <<'PY'
import os, sys, random
root, mib = sys.argv[1], int(sys.argv[2])
random.seed(42)
words = [("".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 10)))) for _ in range(5000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = " ".join(random.choice(words) for _ in range(12)) + "\n"
        out.append(line); size += len(line)
    return "".join(out)[:n].encode()
budget = mib << 20
for d in ("text", "bin", "small"): os.makedirs(os.path.join(root, d), exist_ok=True)
chunk = text(1 << 20)
for i in range(int(budget * 0.4) // (4 << 20)):
    with open(os.path.join(root, "text", f"t{i}.txt"), "wb") as f: f.write(chunk * 4)
for i in range(int(budget * 0.4) // (8 << 20)):
    with open(os.path.join(root, "bin", f"b{i}.bin"), "wb") as f: f.write(os.urandom(8 << 20))
small = int(budget * 0.2) // 4096
for i in range(small):
    d = os.path.join(root, "small", f"d{i // 500}")
    if i % 500 == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.dat"), "wb") as f: f.write(chunk[(i * 97) % 100000:][:2048] + os.urandom(2048))
PY
du -sh "$src" >&2
out="$work/out"; mkdir -p "$out"
cd "$work"
# name | create | extract  (each pair side by side: GNU/Info-ZIP tool, then resh)
cases=(
  "gnu tar --zstd|tar --zstd -cf $work/a.tar.zst -C $work tree|tar --zstd -xf $work/a.tar.zst -C $out"
  "resh tar.zst|$resh 'archive://$work/a.tar.zst.create(sources=$src)' >/dev/null|$resh 'archive://$work/a.tar.zst.extract(destination=$out/r)' >/dev/null"
  "gnu tar -z|tar -czf $work/a.tgz -C $work tree|tar -xzf $work/a.tgz -C $out"
  "resh tar.gz|$resh 'archive://$work/a.tgz.create(sources=$src)' >/dev/null|$resh 'archive://$work/a.tgz.extract(destination=$out/r)' >/dev/null"
  "zip -r / unzip|cd $work && zip -qr $work/a.zip tree|unzip -q $work/a.zip -d $out"
  "resh zip|$resh 'archive://$work/a.zip.create(sources=$src)' >/dev/null|$resh 'archive://$work/a.zip.extract(destination=$out/r)' >/dev/null"
)
clean="rm -rf $out/* $work/a.*; sync"

# 1. Wall time of create + extract, in one hyperfine run (meaningful only on a quiet machine: see uptime).
uptime >&2
args=()
for c in "${cases[@]}"; do IFS='|' read -r name create extract <<<"$c"; args+=(-n "$name" "$create && $extract"); done
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-json "$work/wall.json" --prepare "$clean" "${args[@]}" >&2

# 2. CPU time (user + sys of the command and its children, e.g. the zstd/gzip that tar runs): it does not
#    depend on how busy the machine is. Median of CPU_RUNS runs, create and extract separately.
: > "$work/cpu.tsv"
for c in "${cases[@]}"; do
  IFS='|' read -r name create extract <<<"$c"
  for i in $(seq "${CPU_RUNS:-3}"); do
    bash -c "$clean"
    for phase in create extract; do
      cmd=$create; [[ $phase == extract ]] && cmd=$extract
      /usr/bin/time -f "%U %S %e" -o "$work/t" bash -c "$cmd"
      echo -e "$name\t$phase\t$i\t$(cat "$work/t")" >> "$work/cpu.tsv"
    done
  done
  ls -l "$work"/a.* | awk -v n="$name" '{print "bench: " n " archive " $5 " bytes"}' >&2
done

echo "## archive (create + extract, ${size_mib} MiB tree, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/python3 - "$work/wall.json" "$work/cpu.tsv" <<'PY'
import json, sys, statistics as st
from collections import defaultdict
wall = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cpu = defaultdict(lambda: defaultdict(list))
for line in open(sys.argv[2]):
    name, phase, _, u, s, e = line.rstrip("\n").split("\t")[0:3] + line.split("\t")[3].split()
    cpu[name][phase].append((float(u), float(s)))
def med(name, phase, k): return st.median(x[k] for x in cpu[name][phase])
names = list(wall)
print("| command | wall create+extract (s) | create user+sys (s) | extract user+sys (s) | user ratio | user+sys ratio | wall ratio |")
print("|---|---|---|---|---|---|---|")
user = {n: sum(med(n, p, 0) for p in ("create", "extract")) for n in names}
total = {n: user[n] + sum(med(n, p, 1) for p in ("create", "extract")) for n in names}
for i, n in enumerate(names):
    ref = names[i - 1] if i % 2 else n  # each resh row is compared with the tool row above it
    w = wall[n]
    cells = [f"{med(n, p, 0):.2f}+{med(n, p, 1):.2f}" for p in ("create", "extract")]
    ratio = lambda a, b: f"{a / b:.2f}x" if i % 2 else "1"
    print(f"| {n} | {w['mean']:.2f} ± {w['stddev'] or 0:.2f} | {cells[0]} | {cells[1]} | {ratio(user[n], user[ref])} | {ratio(total[n], total[ref])} | {ratio(w['mean'], wall[ref]['mean'])} |")
PY
echo
echo "## snapshot (second snapshot of the unchanged tree vs the first)"
export RESH_HOME="$work/home"
t0=$(date +%s.%N); "$resh" "snapshot://$src.create(name=one)" > "$work/one.json"; t1=$(date +%s.%N)
"$resh" "snapshot://$src.create(name=two)" > "$work/two.json"; t2=$(date +%s.%N)
/usr/bin/python3 - "$work/one.json" "$work/two.json" "$t0" "$t1" "$t2" "$RESH_HOME/snapshots" <<'PY'
import json, sys, os
one, two = (json.load(open(p))["result"] for p in sys.argv[1:3])
t0, t1, t2 = map(float, sys.argv[3:6])
def manifest_size(name):
    for d, _, fs in os.walk(os.path.join(sys.argv[6], "trees")):
        for f in fs:
            if f == name + ".json": return os.path.getsize(os.path.join(d, f))
first_space = one["snapshot"]["new_bytes"] + manifest_size("one")
second_space = two["snapshot"]["new_bytes"] + manifest_size("two")
print("| run | time (s) | new space (bytes) | files hashed |")
print("|---|---|---|---|")
print(f"| first | {t1-t0:.2f} | {first_space} | {one['hashed']} |")
print(f"| second | {t2-t1:.2f} | {second_space} | {two['hashed']} |")
print(f"\nsecond/first: time {100*(t2-t1)/(t1-t0):.1f}%, space {100*second_space/first_space:.2f}%")
PY
