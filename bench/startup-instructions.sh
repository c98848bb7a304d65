#!/usr/bin/env bash
# Start-up cost in user-space instructions (valgrind callgrind), which the machine's load does not move, unlike wall or
# CPU time: a bare Native AOT hello world (default PIE) against resh's local reads, and the share of the biggest
# single function (NativeAOT's type-data expansion, StartupCodeHelpers.RehydrateData). Kernel time is not counted.
#   bench/startup-instructions.sh                 # builds the hello world and resh when missing
#   RESH=path HELLO=path bench/startup-instructions.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v valgrind >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq valgrind >/dev/null
[[ -n "${RESH:-}" ]] || scripts/build-native.sh >&2
resh="${RESH:-$root/.build/resh/resh}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[[ -n "${HELLO:-}" ]] || "$root/bench/hello-world.sh" "$work/hello"
hello="${HELLO:-$work/hello/out/hello}"

# Ir of one run, and the share of its biggest function.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$@" >/dev/null 2>&1
    callgrind_annotate "$work/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); total=$1} /\(.*%\)/ && !/TOTALS/ && top=="" {gsub(",","",$1); top=$1} END {printf "%d %d\n", total, top}'
}
read -r base _ < <(count "$hello")
echo "| call | user instructions | vs hello world | biggest function (type-data expansion) |"
echo "|---|---|---|---|"
echo "| hello world (Native AOT, PIE) | $base | 1.00x | |"
for call in "file:///etc/hosts.read --format raw" "system://.memory" "file:///etc/hosts.stat"; do
    # shellcheck disable=SC2086
    read -r n top < <(count "$resh" $call)
    printf '| `%s` | %s | %.2fx | %.0f%% |\n' "$call" "$n" "$(echo "$n / $base" | bc -l)" "$(echo "100 * $top / $n" | bc -l)"
done
echo
hydrated=$(readelf -SW "$resh" | sed -n 's/.*\.hydrated *NOBITS *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\).*/\1/p')
echo "type data expanded at every start (.hydrated): $(( 16#${hydrated:-0} / 1024 )) KiB; binary $(( $(stat -c %s "$resh") / 1024 / 1024 )) MiB"
