#!/usr/bin/env bash
# log:// benchmark (issue 16): `resh log://FILE.search pattern=WORD count_only=true` vs `grep -c WORD FILE` on a 1 GiB
# syslog-like file (about 11 million lines, 1% of them with the word), warm page cache, as a ratio (target ≤ 1.5x).
# Also shown, not part of the target: the same search with a regex (`timeout|refused`) against `grep -cE`.
# grep must write to a pipe: with stdout on /dev/null GNU grep stops at the first match (hyperfine --output=pipe).
# Usage: bench/log.sh   (RUNS=N per pair, default 10; SIZE_MIB=N for another file size, default 1024)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
command -v hyperfine >/dev/null || { echo "bench: missing hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work="$(mktemp -d /tmp/resh-bench-log.XXXXXX)"
trap 'rm -rf "$work"' EXIT
log="$work/syslog"
size_mib="${SIZE_MIB:-1024}"

# A file of syslog lines: hosts, programs, PIDs and messages vary; every 100th line carries `error`.
/usr/bin/python3 - "$log" "$size_mib" <<'PY'
import sys, random
path, mib = sys.argv[1], int(sys.argv[2])
random.seed(16)
apps = ["sshd", "CRON", "nginx", "kernel", "systemd", "postfix/smtpd", "dockerd", "app"]
msgs = ["Accepted publickey for deploy from 10.0.0.{} port 5{}", "session opened for user root by (uid=0) {} {}",
        "GET /api/v1/items/{} HTTP/1.1 200 {}", "connection from 192.0.2.{} timeout after {}s",
        "Started Daily apt upgrade {} {}", "client refused: 203.0.113.{} code {}"]
block = []
for i in range(20000):
    app = apps[i % len(apps)]
    m = msgs[i % len(msgs)].format(i % 250, i % 97)
    if i % 100 == 0: m = "error: " + m
    block.append(f"2026-12-06T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000000:06d}+00:00 web{i % 5} {app}[{1000 + i % 5000}]: {m}\n")
chunk = "".join(block).encode()
target = mib * 1024 * 1024
with open(path, "wb") as f:
    written = 0
    while written + len(chunk) <= target:
        f.write(chunk); written += len(chunk)
    rest = chunk[: target - written]
    f.write(rest[: rest.rfind(b"\n") + 1])
PY
cat "$log" > /dev/null   # warm the page cache for both sides

want=$(grep -c error "$log")
got=$("$resh" "log://$log.search" pattern=error count_only=true --format raw)
[[ "$want" == "$got" ]] || { echo "bench: resh counted $got, grep $want" >&2; exit 1; }

hyperfine -N --output=pipe --warmup 1 --runs "${RUNS:-10}" --export-json "$work/word.json" \
  -n "resh log search (word)" "$resh log://$log.search pattern=error count_only=true --format raw" \
  -n "grep -c" "grep -c error $log" >&2
hyperfine -N --output=pipe --warmup 1 --runs "${RUNS:-10}" --export-json "$work/regex.json" \
  -n "resh log search (regex)" "$resh log://$log.search pattern=timeout|refused count_only=true --format raw" \
  -n "grep -cE" "grep -cE timeout|refused $log" >&2

/usr/bin/python3 - "$work" "$(stat -c %s "$log")" "$want" <<'PY'
import json, os, sys
d, size, count = sys.argv[1], int(sys.argv[2]), sys.argv[3]
print(f"file: {size / 2**30:.2f} GiB, {count} matching lines of `error`")
print("| comparison | resh | grep | ratio |")
print("|---|---|---|---|")
for name, label in (("word", "count lines with a word (`pattern=error` vs `grep -c error`)"),
                    ("regex", "count lines matching a regex (`timeout|refused` vs `grep -cE`)")):
    r = json.load(open(f"{d}/{name}.json"))["results"]
    a, b = r[0]["median"], r[1]["median"]
    print(f"| {label} (median) | {a:.3f} s | {b:.3f} s | {a / b:.2f}x |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
