#!/usr/bin/env bash
# Keystroke-to-completion round trip of the interactive shell through a real pseudo-terminal (issue 19):
# the time from writing "...<Tab>" to the completed word appearing on the terminal, driven by
# tests/Resh.Cli.Tests/Shell/pty_drive.py. Registry completions (scheme, verb, argument) target <= 30 ms,
# live ones (a path, a service name) <= 100 ms.
#   bench/repl.sh [RESH_BINARY]     (default: .build/resh/resh; RUNS=20)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/.build/resh/resh}"
[[ -x "$bin" ]] || { echo "bench/repl.sh: no binary at $bin (scripts/build-native.sh)" >&2; exit 2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree" && for i in $(seq 200); do : > "$work/tree/file-$i.txt"; done && : > "$work/tree/zz-unique.conf"
unit="$(ls /etc/init.d 2>/dev/null | head -1)"; [[ -d /run/systemd/system ]] && unit="$(systemctl list-units --type=service --no-legend --plain | awk 'NR==1{sub(/\.service$/,"",$1); print $1}')"
HOME="$work" RESH_HOME="$work/state" RUNS="${RUNS:-20}" UNIT="$unit" TREE="$work/tree" /usr/bin/python3 - "$root/tests/Resh.Cli.Tests/Shell/pty_drive.py" "$bin" <<'PY'
import json, os, statistics, subprocess, sys
driver, binary = sys.argv[1], sys.argv[2]
unit, tree, runs = os.environ["UNIT"], os.environ["TREE"], int(os.environ["RUNS"])
cases = [
    ("registry: scheme", "sys\t", r"system://$"),
    ("registry: verb", "system://.mem\t", r"\.memory "),
    ("registry: argument", "file:///etc/hosts.lines.ensure li\t", r"line="),
    ("registry: argument in ( )", "proc://.list(ma\t", r"\(match="),
    ("registry: pipeline field", "proc://.list | where na\t", r"where name "),
    ("live: path (201 entries)", f"file://{tree}/zz\t", r"zz-unique\.conf "),
    ("live: service name", f"svc://{unit[:-1]}\t", unit + " "),
]
steps = [{"expect": r"> $", "timeout": 20}]
for _ in range(runs):
    for _, keys, expect in cases:
        steps.append({"send": keys, "expect": expect, "timeout": 5})
        steps.append({"send": "\x15", "expect": r"> $", "timeout": 5})  # Ctrl-U: an empty line again
steps.append({"send": "\x04", "timeout": 1})
out = subprocess.run(["/usr/bin/python3", driver, binary, "shell"], input=json.dumps({"steps": steps}), capture_output=True, text=True, timeout=600)
res = json.loads(out.stdout)["steps"]
for i, (name, _, _) in enumerate(cases):
    ms = [res[1 + 2 * (r * len(cases) + i)]["ms"] for r in range(runs)]
    missed = sum(m is None for m in ms)
    got = [m for m in ms if m is not None]
    print(f"{name}: first {ms[0]:.1f} ms, then median {statistics.median(got[1:] if len(got) > 1 else got):.2f} ms, max {max(got):.1f} ms over {len(got)} runs" + (f", {missed} missed" if missed else ""))
PY
