#!/usr/bin/env bash
# 100 hosts side by side (issue 21): one warm call on N hosts through
#   1. resh agents on NATS: N `resh agent` processes (each its own state dir, host name, facts) on one loopback
#      nats-server, `agent://HOSTS/system://.uptime` (the host list, no discovery) and `agent://*/...` (discovery first);
#   2. ssh:// on the netns fleet of tests/setup/ssh.sh (N namespaces, an sshd each), ControlMasters open (warm);
#   3. a plain parallel ssh loop over the same ControlMasters (`ssh HOST uptime`, all at once);
#   4. ansible ad-hoc `-m command -a uptime -f FORKS` with its own ControlPersist (when ansible is installed).
# The agents and sshds all run on this machine's cores, as the caller does. Prints one hyperfine table, the
# caller's CPU per call for each row, and how many hosts answered each way.
# Uses the fleet's global names (netns reshf*, bridge reshfleet0): run it under flock /tmp/resh-suite.lock.
# usage: bench/agent-100.sh [hosts] [runs] [forks]   (RESH_BIN overrides the binary)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-100}
runs=${2:-10}
forks=${3:-20}
if [[ -z "${RESH_BIN:-}" ]]; then "$root/scripts/build-native.sh"; fi
RESH=${RESH_BIN:-$root/.build/resh/resh}
command -v hyperfine >/dev/null || { apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true; DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends hyperfine >&2; }
have_ansible=1; command -v ansible >/dev/null || have_ansible=0

DIR=$(mktemp -d /tmp/rahXXXX)
sport=24390
while ss -Hltn "sport = :$sport" | grep -q .; do sport=$((sport + 1)); done
nport=24490
while ss -Hltn "sport = :$nport" | grep -q . || ss -Hltn "sport = :$((nport + 1))" | grep -q .; do nport=$((nport + 2)); done
pids=()
close_masters() { for s in "$@"; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true; done; }
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    "$root/tests/setup/nats.sh" down "$DIR/nats" || true
    close_masters "$DIR"/warm/ssh/cm/* "$DIR"/cm/* "$DIR"/ansible-cp/*
    "$root/tests/setup/ssh.sh" down "$DIR" || true
    rm -rf "$DIR"
}
trap cleanup EXIT
echo "fleet of $n ssh hosts and $n agents: setting up" >&2
"$root/tests/setup/ssh.sh" up "$DIR" "$n" "$sport"
"$root/tests/setup/nats.sh" up "$DIR/nats" "$nport" $((nport + 1))
mkdir -p "$DIR/cm" "$DIR/warm" "$DIR/caller" "$DIR/ansible-cp"
pub=$(RESH_HOME="$DIR/caller" "$RESH" agent key create name=bench --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["public_key"])')
cat > "$DIR/resh.toml" <<CFG
[ssh]
config = "$DIR/ssh_config"
connect_timeout = "30s"
[inventory]
fleet = ["reshf[1:$n]"]
[agent]
url = "nats://127.0.0.1:$nport"
tls = "off"
key = "bench"
timeout = "60s"
discover_wait = "10s"
discover_idle = "300ms"
CFG
for i in $(seq 1 "$n"); do
    d="$DIR/a$i"; mkdir -p "$d/home" "$d/data"
    cat > "$d/agent.toml" <<CFG
[agent]
url = "nats://127.0.0.1:$nport"
tls = "off"
host = "agent$i"
roles = ["fleet"]
[agent.callers.bench]
key = "$pub"
role = "ops"
[roles.ops]
allow = ["system.*"]
CFG
    RESH_HOME="$d/home" HOME="$d/data" "$RESH" agent --config "$d/agent.toml" 2>"$d/err" &
    pids+=($!)
done
for i in $(seq 1 "$n"); do
    for _ in $(seq 900); do grep -q "ready on" "$DIR/a$i/err" 2>/dev/null && break; sleep 0.1; done
done
export RESH_CONFIG="$DIR/resh.toml" SSH_AUTH_SOCK=
stage="system://.uptime"
hosts=$(seq -f 'reshf%g' 1 "$n" | tr '\n' ' ')
agents=$(seq -f 'agent%g' 1 "$n" | paste -sd, -)
ssh_opts="-F $DIR/ssh_config -o ControlMaster=auto -o ControlPath=$DIR/cm/%C -o ControlPersist=300"
cat > "$DIR/loop.sh" <<LOOP
for h in $hosts; do ssh $ssh_opts \$h uptime >/dev/null & done; wait
LOOP
cat > "$DIR/ansible.cfg" <<CFG
[defaults]
inventory = $DIR/inventory.ini
interpreter_python = /usr/bin/python3
forks = $forks
gathering = explicit
host_key_checking = False
[ssh_connection]
ssh_common_args = -F $DIR/ssh_config
control_path_dir = $DIR/ansible-cp
CFG
export ANSIBLE_CONFIG="$DIR/ansible.cfg"
count() { /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)["result"]["summary"]
print("%d of %d hosts ok" % (s["ok"], s["hosts"]))'; }
# Warm everything once: ControlMasters open, resh on every host, ansible's ControlPersist sockets.
printf 'resh ssh warm-up: '; RESH_HOME="$DIR/warm" "$RESH" --forks "$forks" "ssh://@fleet/$stage" --format json | count
bash "$DIR/loop.sh"
if ((have_ansible)); then ansible all -m command -a uptime -f "$forks" >/dev/null || true; fi
printf 'agent, host list: '; RESH_HOME="$DIR/caller" "$RESH" "agent://$agents/$stage" --format json | count
printf 'agent, discovery: '; RESH_HOME="$DIR/caller" "$RESH" "agent://*/$stage" --format json | count
args=(-n "resh agent://HOSTS (host list, NATS)" "env RESH_HOME=$DIR/caller $RESH agent://$agents/$stage"
      -n "resh agent://* (discovery + call, NATS)" "env RESH_HOME=$DIR/caller $RESH agent://*/$stage"
      -n "resh ssh:// warm --forks $forks" "env RESH_HOME=$DIR/warm $RESH --forks $forks ssh://@fleet/$stage"
      -n "resh ssh:// warm --forks $n" "env RESH_HOME=$DIR/warm $RESH --forks $n ssh://@fleet/$stage"
      -n "ssh loop (ControlMaster, all at once)" "bash $DIR/loop.sh")
if ((have_ansible)); then args+=(-n "ansible -m command -f $forks (ControlPersist)" "ansible all -m command -a uptime -f $forks"); fi
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$DIR/warm.md" --export-json "$DIR/warm.json" "${args[@]}" >&2
cat "$DIR/warm.md"
# The caller's CPU (user+sys of the command and its children) per call, from hyperfine's own measurement.
/usr/bin/python3 - "$DIR/warm.json" <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: caller CPU (user+sys, children included) {1000 * (r['user'] + r['system']):.0f} ms per call")
PY
echo "ansible: $( ((have_ansible)) && ansible --version 2>/dev/null | sed -n 1p || echo "not installed")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
