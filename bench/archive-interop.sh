#!/usr/bin/env bash
# Archive interoperability figure (issue 22): runs the interop corpus (archives written by GNU tar, bsdtar,
# 7-Zip and Info-ZIP, plus hand-made headers) against one or more resh binaries and prints, per binary,
# how many cases agree with bsdtar (7-Zip where bsdtar cannot read them), are refused with a clean error
# code, are read correctly where the reference is wrong, or differ; then the cases that do not simply agree.
#   bench/archive-interop.sh                      # the worktree's build
#   bench/archive-interop.sh OLD_BIN NEW_BIN      # side by side (e.g. main's binary, then this branch's)
# Needs the test project built (dotnet build tests/Resh.Handles.Tests -c Release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ $# -gt 0 ]] || set -- "$root/.build/resh/resh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

i=0
for bin in "$@"; do
  i=$((i + 1))
  RESH_BIN="$bin" RESH_INTEROP_SUMMARY="$work/$i.tsv" dotnet test tests/Resh.Handles.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~ArchiveInteropTests.Resh_reads_what_other_archivers_write" --logger "console;verbosity=quiet" >"$work/$i.log" 2>&1 || true
  echo "### $("$bin" version --format raw 2>/dev/null | sed -n 's/.*"commit":"\([^"]*\)".*/commit \1/p') ($bin)"
  echo
  echo "| result | cases |"
  echo "|---|---|"
  tail -n +2 "$work/$i.tsv" | cut -f2 | sort | uniq -c | awk '{ printf "| %s | %d |\n", $2, $1; n += $1 } END { printf "| total | %d |\n", n }'
  echo
  echo "| case | result | detail |"
  echo "|---|---|---|"
  tail -n +2 "$work/$i.tsv" | sort | awk -F'\t' '$2 != "agree" { d = $3; gsub(/\|/, "\\|", d); gsub(/\/tmp\/resh-test-interop-[0-9a-f]+\//, "", d); if (length(d) > 160) d = substr(d, 1, 157) "..."; printf "| %s | %s | %s |\n", $1, $2, d }'
  echo
done
