#!/usr/bin/env bash
# resh agents on NATS (issue 21): N `resh agent` processes (each its own state dir, host name and facts) on one
# nats-server (tests/setup/nats.sh, loopback), one caller key trusted by all. Measures:
#   1. discovery of all agents (agent://*.discover): wall time and how many answered;
#   2. a read verb on all (agent://HOSTS/system://.uptime, the host list given so discovery is not counted, and
#      agent://*/system://.uptime, discovery included):
#      per-host latency = when that host's ndjson line reached the caller, from the caller's start (median, p99
#      over every host of every run), the call's wall time, and the caller's CPU (user+sys) per call;
#   3. a mutating verb (file.write) on a filtered subset (@even, half the agents): wall time, files written;
#   4. idle agents: RSS, PSS and USS (median, max; PSS is what each adds with the binary's pages shared), CPU over
#      10 s of idling, and the caller's peak RSS.
# Agents are started only while the machine keeps MIN_FREE_MIB (default 3072) of MemAvailable: the run goes on with
# as many as started and says so. usage: bench/agent.sh [agents] [runs]   (RESH_BIN overrides the binary; the
# native build is what the numbers are for)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-50}
runs=${2:-5}
if [[ -z "${RESH_BIN:-}" ]]; then "$root/scripts/build-native.sh"; fi
RESH=${RESH_BIN:-$root/.build/resh/resh}
DIR=$(mktemp -d /tmp/ragXXXX)
port=24480
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    "$root/tests/setup/nats.sh" down "$DIR/nats" || true
    rm -rf "$DIR"
}
trap cleanup EXIT
"$root/tests/setup/nats.sh" up "$DIR/nats" "$port" $((port + 1))
mkdir -p "$DIR/caller"
pub=$(RESH_HOME="$DIR/caller" "$RESH" agent key create name=bench --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["public_key"])')
cat > "$DIR/caller.toml" <<CFG
[agent]
url = "nats://127.0.0.1:$port"
tls = "off"
key = "bench"
timeout = "60s"
discover_wait = "10s"
discover_idle = "500ms"
CFG
echo "starting $n agents" >&2
min_free=${MIN_FREE_MIB:-3072}
want=$n
for i in $(seq 1 "$want"); do
    if (( i % 10 == 1 )); then
        free=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
        if (( free < min_free )); then
            echo "stopping at $((i - 1)) agents: MemAvailable ${free} MiB < ${min_free} MiB" >&2
            n=$((i - 1)); break
        fi
        # Let the last batch finish starting (and its memory show) before the next check.
        for j in $(seq $((i > 10 ? i - 10 : 1)) $((i - 1))); do
            for _ in $(seq 600); do grep -q "ready on" "$DIR/a$j/err" 2>/dev/null && break; sleep 0.1; done
        done
    fi
    d="$DIR/a$i"; mkdir -p "$d/home" "$d/data"
    role=$([ $((i % 2)) -eq 0 ] && echo even || echo odd)
    cat > "$d/agent.toml" <<CFG
[agent]
url = "nats://127.0.0.1:$port"
tls = "off"
host = "agent$i"
roles = ["$role"]
labels = { n = "$i" }
[agent.callers.bench]
key = "$pub"
role = "ops"
[roles.ops]
allow = ["system.*", "file.*:file://$d/data/**"]
CFG
    RESH_HOME="$d/home" HOME="$d/data" "$RESH" agent --config "$d/agent.toml" 2>"$d/err" &
    pids+=($!)
done
for i in $(seq 1 "$n"); do
    for _ in $(seq 600); do grep -q "ready on" "$DIR/a$i/err" 2>/dev/null && break; sleep 0.1; done
done
hosts=$(seq -f 'agent%g' 1 "$n" | paste -sd, -)
export RESH_HOME="$DIR/caller" HOME="$DIR/caller"
sleep 2
echo "agents running: $n (asked for $want); MemAvailable $(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo) MiB" >&2
MON=$((port + 1)) PIDS="${pids[*]}" N="$n" RUNS="$runs" HOSTS="$hosts" RESH="$RESH" CFG="$DIR/caller.toml" DIR="$DIR" /usr/bin/python3 - <<'PY'
import json, os, resource, statistics, subprocess, time
n, runs, resh, cfg = int(os.environ["N"]), int(os.environ["RUNS"]), os.environ["RESH"], os.environ["CFG"]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
def varz():
    import urllib.request
    v = json.load(urllib.request.urlopen(f"http://127.0.0.1:{os.environ['MON']}/varz"))
    return {k: v[k] for k in ("in_msgs", "out_msgs", "in_bytes", "out_bytes")}
disc = []
dv0 = varz()
for _ in range(runs):
    t = time.perf_counter()
    out = subprocess.run([resh, "agent://*.discover", "--config", cfg, "--format", "json"], capture_output=True, text=True)
    disc.append((time.perf_counter() - t) * 1000)
    found = json.loads(out.stdout)["result"]["count"]
print(f"discovery of {n} agents: {found} answered; median {statistics.median(disc):.0f} ms (discover_idle 500 ms included)")
dv1 = varz(); d = {k: (dv1[k] - dv0[k]) / runs for k in dv0}
print(f"  broker per discovery: {d['in_msgs']:.0f} messages in ({d['in_bytes'] / 1024:.1f} KiB), {d['out_msgs']:.0f} out ({d['out_bytes'] / 1024:.1f} KiB)")
def read_all(target, what):
    lat, wall, cpus, bad = [], [], [], 0
    v0 = varz()
    for _ in range(runs):
        c0, t = cpu(), time.perf_counter()
        p = subprocess.Popen([resh, f"agent://{target}/system://.uptime", "--config", cfg, "--format", "ndjson"], stdout=subprocess.PIPE, text=True)
        for line in p.stdout:
            e = json.loads(line)
            if e.get("handle") == "system":
                lat.append((time.perf_counter() - t) * 1000); bad += 0 if e["ok"] else 1
            elif e.get("handle") == "agent" and not e.get("ok"):
                print(f"read verb on {n} agents ({what}): refused: {e['error']['code']}: {e['error']['message'][:160]}"); p.wait(); return
        p.wait(); wall.append((time.perf_counter() - t) * 1000); cpus.append((cpu() - c0) * 1000)
    print(f"read verb on {n} agents ({what}) x {runs}: per-host latency median {statistics.median(lat):.0f} ms, p99 {pct(lat, 99):.0f} ms; "
          f"call wall median {statistics.median(wall):.0f} ms, max {max(wall):.0f} ms; caller CPU median {statistics.median(cpus):.0f} ms; "
          f"{len(lat)} answers of {n * runs}, {bad} failed")
    v1 = varz(); d = {k: (v1[k] - v0[k]) / runs for k in v0}
    print(f"  broker per call: {d['in_msgs']:.0f} messages in ({d['in_bytes'] / 1024:.1f} KiB), {d['out_msgs']:.0f} out ({d['out_bytes'] / 1024:.1f} KiB)")
read_all(os.environ["HOSTS"], "host list, no discovery")
read_all("*", "agent://*: discovery included")
caller_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"caller peak RSS (any of its calls) {caller_rss:.1f} MiB")
t = time.perf_counter()
out = subprocess.run([resh, "agent://@even/file://~/flag.write", "content=on", "--config", cfg, "--format", "json"], capture_output=True, text=True)
env = json.loads(out.stdout)
written = sum(os.path.exists(f"{os.environ['DIR']}/a{i}/data/flag") for i in range(1, n + 1))
print(f"file.write on @even: {(time.perf_counter() - t) * 1000:.0f} ms (discovery included), ok={env['ok']}, {written} files written (expected {n // 2})")
pids = os.environ["PIDS"].split()
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) / 1024
def ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split(); return int(f[11]) + int(f[12])
t0 = {p: ticks(p) for p in pids}; time.sleep(10); t1 = {p: ticks(p) for p in pids}
r = [rss(p) for p in pids]
def roll(pid):
    d = {}
    for l in open(f"/proc/{pid}/smaps_rollup"):
        q = l.split()
        if q[0].endswith(":") and len(q) > 1 and q[1].isdigit(): d[q[0][:-1]] = int(q[1])
    return d["Pss"] / 1024, (d["Private_Clean"] + d["Private_Dirty"]) / 1024
pu = [roll(p) for p in pids]
pss, uss = [x[0] for x in pu], [x[1] for x in pu]
cpu_ms = [(t1[p] - t0[p]) * 1000 / os.sysconf("SC_CLK_TCK") for p in pids]
import urllib.request
vz = json.load(urllib.request.urlopen(f"http://127.0.0.1:{os.environ['MON']}/varz"))
print(f"nats-server: {vz['connections']} connections, RSS {vz['mem'] / 1048576:.1f} MiB, CPU {vz['cpu']}% now")
print(f"idle agents: RSS median {statistics.median(r):.1f} MiB, max {max(r):.1f} MiB; PSS median {statistics.median(pss):.1f} MiB, "
      f"USS median {statistics.median(uss):.1f} MiB; all {n} together: PSS {sum(pss) / 1024:.2f} GiB; "
      f"CPU over 10 s idle: median {statistics.median(cpu_ms):.0f} ms, max {max(cpu_ms):.0f} ms, sum {sum(cpu_ms):.0f} ms")
PY
