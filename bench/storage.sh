#!/usr/bin/env bash
# Storage benchmarks: archive create+extract of a generated mixed tree (text, random binary, many small
# files) as tar.zst, tar.gz and zip, side by side with GNU tar (--zstd, -z) and zip/unzip, in one
# hyperfine run; then the snapshot second-run space/time ratio. Usage: bench/storage.sh [SIZE_MIB=500]
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
hyperfine --warmup 1 --runs ${RUNS:-3} --export-markdown "$work/archive.md" \
  --prepare "rm -rf $out/* $work/*.tar.zst $work/*.tgz $work/*.zip; sync" \
  -n "gnu tar --zstd" "tar --zstd -cf $work/g.tar.zst -C $work tree && tar --zstd -xf $work/g.tar.zst -C $out" \
  -n "resh tar.zst"   "$resh 'archive://$work/r.tar.zst.create(sources=$src)' >/dev/null && $resh 'archive://$work/r.tar.zst.extract(destination=$out/r)' >/dev/null" \
  -n "gnu tar -z"     "tar -czf $work/g.tgz -C $work tree && tar -xzf $work/g.tgz -C $out" \
  -n "resh tar.gz"    "$resh 'archive://$work/r.tgz.create(sources=$src)' >/dev/null && $resh 'archive://$work/r.tgz.extract(destination=$out/r)' >/dev/null" \
  -n "zip -r / unzip" "cd $work && zip -qr $work/g.zip tree && unzip -q $work/g.zip -d $out" \
  -n "resh zip"       "$resh 'archive://$work/r.zip.create(sources=$src)' >/dev/null && $resh 'archive://$work/r.zip.extract(destination=$out/r)' >/dev/null" >&2
echo "## archive (create + extract, ${size_mib} MiB tree)"
cat "$work/archive.md"

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
