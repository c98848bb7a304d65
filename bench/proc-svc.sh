#!/usr/bin/env bash
# proc:// and svc:// against the tools an operator would run instead, side by side in one run:
#   resh proc://.list                  vs  ps -eo pid,ppid,user,stat,pcpu,rss,comm
#   resh svc://systemd-journald.status vs  systemctl show systemd-journald   (inside a systemd container)
# Both svc commands run through the same nsenter into the container, so that cost is on both sides.
# Prints a markdown table with the ratios (resh mean / native mean). Needs root (the container).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=${RUNS:-60}
"$root/scripts/build-native.sh"
resh="$root/.build/resh/resh"
command -v hyperfine >/dev/null || { apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends hyperfine >&2; }
work=$(mktemp -d /tmp/reshsvc-bench.XXXXXX)
name=reshsvcbench$$
cleanup() { "$root/tests/setup/svc-systemd.sh" stop "$work/box" "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
leader=$("$root/tests/setup/svc-systemd.sh" boot "$work/box" "$name" "$resh")
in=(nsenter -t "$leader" -a)

hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/proc.json" \
    "$resh proc://.list" "ps -eo pid,ppid,user,stat,pcpu,rss,comm" "$resh system://.hostname" >&2
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/svc.json" \
    "${in[*]} /opt/resh/resh svc://systemd-journald.status" "${in[*]} systemctl show systemd-journald" >&2

echo "| comparison | resh mean (ms) | native mean (ms) | ratio |"
echo "|---|---|---|---|"
label_proc='`resh proc://.list` vs `ps -eo pid,ppid,user,stat,pcpu,rss,comm`'
label_svc='`resh svc://systemd-journald.status` vs `systemctl show systemd-journald` (both via nsenter into the container)'
for f in proc svc; do
    label_var=label_$f
    /usr/bin/python3 - "$work/$f.json" "${!label_var}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0], r[1]
print(f"| {sys.argv[2]} | {a['mean']*1000:.1f} ± {a['stddev']*1000:.1f} | {b['mean']*1000:.1f} ± {b['stddev']*1000:.1f} | {a['mean']/b['mean']:.2f}x |")
if len(r) > 2:
    c = r[2]
    print(f"| resh start-up floor: `resh system://.hostname` vs the same `ps` | {c['mean']*1000:.1f} ± {c['stddev']*1000:.1f} | {b['mean']*1000:.1f} ± {b['stddev']*1000:.1f} | {c['mean']/b['mean']:.2f}x |")
PY
done
