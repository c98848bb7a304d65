#!/usr/bin/env bash
# git:// benchmark (issue 17), side by side in one run: `git:///REPO.status` vs `git status --porcelain=v2`
# on the same working trees: a small one (2,000 files in 100 directories) and a large one (40,000 files in 400
# directories), each with 20 modified, 5 staged and 10 untracked files. resh pays its own start-up once per call,
# so the ratio falls as git's own work grows.
#   bench/git.sh              # ROUNDS=5 rounds of 30 runs each
# Target: ≤ 1.5x git's own time. Writes bench/results/git.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
scripts/build-native.sh >&2
resh="$root/.build/resh/resh"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/git-status-*.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

make_repo() { # DIR DIRS FILES_PER_DIR
    local repo=$1
    git init -q -b main "$repo"
    for d in $(seq 1 "$2"); do
        mkdir -p "$repo/dir$d"
        for f in $(seq 1 "$3"); do echo "file $d/$f" > "$repo/dir$d/f$f.txt"; done
    done
    git -C "$repo" add -A
    GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b git -C "$repo" commit -qm base
    for d in $(seq 1 20); do echo change >> "$repo/dir$d/f1.txt"; done
    for d in $(seq 21 25); do echo staged >> "$repo/dir$d/f2.txt"; git -C "$repo" add "dir$d/f2.txt"; done
    for d in $(seq 1 10); do echo new > "$repo/dir$d/new.txt"; done
    git -C "$repo" status >/dev/null # a fresh index, as on a working server
    "$resh" "git://$repo.status" >/dev/null
}
make_repo "$work/small" 100 20
make_repo "$work/large" 400 100

for round in $(seq "${ROUNDS:-5}"); do
    for size in small large; do
        hyperfine -N --warmup 5 --runs 30 --export-json "$out/git-status-$size-$round.json" \
            -n "resh git status" "$resh git://$work/$size.status" \
            -n "git status --porcelain=v2" "git -C $work/$size status --porcelain=v2" >&2
    done
done

python3 - "$out" <<'PY' | tee "$out/git.md"
import json, sys, os, glob, statistics
out = sys.argv[1]
a, b = "resh git status", "git status --porcelain=v2"
print("| comparison | resh | git | ratio (median of rounds) | target |")
print("|---|---|---|---|---|")
for size, label in [("small", "2,000 files"), ("large", "40,000 files")]:
    r = [{x["command"]: x for x in json.load(open(f))["results"]} for f in sorted(glob.glob(os.path.join(out, f"git-status-{size}-[0-9]*.json")))]
    ms = lambda c: statistics.median(x[c]["median"] for x in r) * 1000
    ratio = statistics.median(x[a]["median"] / x[b]["median"] for x in r)
    print(f"| `git:///REPO.status` vs `git status --porcelain=v2`, {label}, 35 changed/untracked | {ms(a):.2f} ms | {ms(b):.2f} ms | {ratio:.2f}x | ≤ 1.5x |")
PY
