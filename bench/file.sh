#!/usr/bin/env bash
# file:// benchmarks, side by side with the tools operators would otherwise run:
#   hash (sha256, sha512, md5) of a 1 GiB file against sha256sum/sha512sum/md5sum, page cache warm;
#   list -R of /usr against find, write of the big file against cat + sync, copy of /usr/share/doc against cp -a.
#   A recursive copy of a tree of many small files (the case per-file fsync made 3-16x slower) against cp -a
#   and against cp -a followed by sync -f (resh's copy is durable when it returns; cp's is not).
# Usage: bench/file.sh [SIZE]   (SIZE as head -c takes it, default 1G). Needs hyperfine.
#        COPY_ONLY=1 bench/file.sh   runs only the copy comparisons (FILES=5000 small files by default).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
command -v hyperfine >/dev/null || { echo "bench/file.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
size="${1:-1G}"
work="$(mktemp -d "${TMPDIR:-/tmp}/resh-bench-file.XXXXXX")"
trap 'rm -rf "$work"' EXIT

small_files_copy() {
    local files="${FILES:-5000}" per=50 d f
    mkdir -p "$work/small"
    for ((d = 0; d < files / per; d++)); do
        mkdir -p "$work/small/d$d"
        for ((f = 0; f < per; f++)); do printf 'file %d %d\n' "$d" "$f" > "$work/small/d$d/f$f.txt"; done
    done
    hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$work/small.md" \
        --prepare "rm -rf $work/small-copy" -n "resh copy recursive ($files small files)" "$resh file://$work/small.copy to=$work/small-copy recursive=true --format raw" \
        --prepare "rm -rf $work/small-copy" -n "cp -a" "cp -a $work/small $work/small-copy" \
        --prepare "rm -rf $work/small-copy" -n "cp -a; sync -f" "sh -c 'cp -a $work/small $work/small-copy && sync -f $work/small-copy'" >&2
    cat "$work/small.md"
}
if [[ -n "${COPY_ONLY:-}" ]]; then small_files_copy; exit 0; fi
big="$work/big.bin"
head -c "$size" /dev/urandom > "$big"
cat "$big" > /dev/null   # warm the page cache: measure hashing, not the disk

# Both sides must agree before their speed means anything.
[[ "$("$resh" "file://$big.hash" --format raw)" == "$(sha256sum "$big" | cut -d' ' -f1)" ]] || { echo "digest mismatch" >&2; exit 1; }

hyperfine --warmup 1 --runs 5 --export-markdown "$work/hash.md" \
    -n "resh hash sha256" "$resh file://$big.hash --format raw" -n "sha256sum" "sha256sum $big" \
    -n "resh hash sha512" "$resh file://$big.hash algorithm=sha512 --format raw" -n "sha512sum" "sha512sum $big" \
    -n "resh hash md5" "$resh file://$big.hash algorithm=md5 --format raw" -n "md5sum" "md5sum $big" >&2
cat "$work/hash.md"


# The verbs that changed with names-as-bytes and descriptor-relative writes, against the tools they replace:
# a recursive listing of /usr (find), writing the big file to a new name (cat + sync: resh fsyncs too), and
# a cp -a of a documentation tree.
tree=/usr/share/doc
hyperfine --warmup 1 --runs 5 --export-markdown "$work/list.md" \
    -n "resh list /usr recursive" "$resh file:///usr.list recursive=true --format raw" \
    -n "find /usr" "find /usr -mindepth 1" >&2
hyperfine --warmup 1 --runs 5 --export-markdown "$work/write.md" \
    --prepare "rm -f $work/dst.bin" -n "resh write content=@BIG" "$resh file://$work/dst.bin.write content=@$big --format raw" \
    --prepare "rm -f $work/dst.bin" -n "cat BIG > dst; sync dst" "sh -c 'cat $big > $work/dst.bin && sync $work/dst.bin'" >&2
hyperfine --warmup 1 --runs 5 --export-markdown "$work/copy.md" \
    --prepare "rm -rf $work/copy" -n "resh copy recursive (cp -a)" "$resh file://$tree.copy to=$work/copy recursive=true --format raw" \
    --prepare "rm -rf $work/copy" -n "cp -a" "cp -a $tree $work/copy" >&2
cat "$work/list.md" "$work/write.md" "$work/copy.md"
small_files_copy
