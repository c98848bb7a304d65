#!/usr/bin/env bash
# backup:// create vs restic called directly: the first backup of a generated tree (40% text, 40% random binary,
# 20% in 4 KiB files) into a fresh restic repository each run (init is in --prepare, not timed), side by side in one
# hyperfine run; then the ratio of the means. The issue's target: ≤ 1.05x. Usage: [RUNS=3] bench/backup.sh [SIZE_MIB=500]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mib=${1:-500}
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine restic python3; do command -v $t >/dev/null || { echo "bench: missing $t (scripts/install-test-deps.sh)" >&2; exit 1; }; done
work="$(mktemp -d /tmp/resh-bench-backup.XXXXXX)"
trap 'rm -rf "$work"' EXIT
src="$work/tree"
echo "bench: generating a ${size_mib} MiB tree in $src" >&2
python3 - "$src" "$size_mib" <<'PY'
import os, sys, random
root, mib = sys.argv[1], int(sys.argv[2])
random.seed(42)
words = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 10))) for _ in range(5000)]
line_text = []
size = 0
while size < (1 << 20):
    l = " ".join(random.choice(words) for _ in range(12)) + "\n"; line_text.append(l); size += len(l)
chunk = "".join(line_text)[: 1 << 20].encode()
budget = mib << 20
for d in ("text", "bin", "small"): os.makedirs(os.path.join(root, d), exist_ok=True)
for i in range(max(1, int(budget * 0.4) // (4 << 20))):
    with open(os.path.join(root, "text", f"t{i}.txt"), "wb") as f: f.write(chunk * 4)
for i in range(max(1, int(budget * 0.4) // (8 << 20))):
    with open(os.path.join(root, "bin", f"b{i}.bin"), "wb") as f: f.write(os.urandom(8 << 20))
for i in range(int(budget * 0.2) // 4096):
    d = os.path.join(root, "small", f"d{i // 500}")
    if i % 500 == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.dat"), "wb") as f: f.write(chunk[(i * 97) % 100000:][:2048] + os.urandom(2048))
PY
du -sh "$src" >&2
export RESH_BENCH_PW=bench-password-not-secret
printf '%s' "$RESH_BENCH_PW" > "$work/pw"
repo="$work/repo"
# Each run starts from an empty repository (a first backup: every byte read, chunked, hashed, encrypted, written).
prep="rm -rf $repo && RESTIC_PASSWORD_FILE=$work/pw restic init --repo $repo >/dev/null && sync"
uptime >&2
hyperfine --runs "${RUNS:-3}" --export-json "$work/wall.json" --prepare "$prep" \
  -n "restic backup --json" "RESTIC_PASSWORD_FILE=$work/pw restic --repo $repo backup --json $src >/dev/null" \
  -n "resh backup.create" "$resh 'backup://$repo.create(paths=$src,password=env:RESH_BENCH_PW)' >/dev/null" >&2
python3 - "$work/wall.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["restic backup --json"], r["resh backup.create"]
print(f"restic backup --json: {a['mean']:.3f} s ± {a['stddev'] or 0:.3f} (min {a['min']:.3f})")
print(f"resh backup.create:   {b['mean']:.3f} s ± {b['stddev'] or 0:.3f} (min {b['min']:.3f})")
print(f"ratio resh/restic: mean {b['mean'] / a['mean']:.3f}x, min {b['min'] / a['min']:.3f}x (target <= 1.05x)")
PY
