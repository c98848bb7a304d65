#!/usr/bin/env bash
# file:// benchmarks, side by side with the tools operators would otherwise run:
#   hash (sha256, sha512, md5) of a 1 GiB file against sha256sum/sha512sum/md5sum, page cache warm.
# Usage: bench/file.sh [SIZE]   (SIZE as head -c takes it, default 1G). Needs hyperfine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
command -v hyperfine >/dev/null || { echo "bench/file.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
size="${1:-1G}"
work="$(mktemp -d "${TMPDIR:-/tmp}/resh-bench-file.XXXXXX")"
trap 'rm -rf "$work"' EXIT
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
