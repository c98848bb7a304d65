#!/usr/bin/env bash
# ssh:// at a hundred hosts (issue 21), on the netns fleet of tests/setup/ssh.sh (each host with its own remote
# resh cache, as separate machines):
#   1. first contact: no ControlMaster and no resh on any host (the compressed build is sent to each, checked
#      and cached): resh, the resh build in RESH_BEFORE (a build from before the change) when given, and one
#      ansible ad-hoc run over the same hosts with no ControlPersist socket yet (-m command, -f FORKS);
#   2. the warm call: resh with its ControlMasters open vs a plain parallel ssh loop over ControlMaster vs
#      ansible with its own ControlPersist;
#   3. the same resh call with a soft limit of 64 open files (ulimit -Sn 64): how many hosts answered.
# Installs hyperfine and ansible-core (Debian) if missing. Prints hyperfine tables.
# Uses the fleet's global names (netns reshf*, bridge reshfleet0): run it under flock /tmp/resh-suite.lock.
# usage: bench/ssh-100.sh [hosts] [runs] [forks] [first]   (RESH_BIN overrides the binary; RESH_BEFORE adds a row;
#        "first" as the fourth argument times the first contact only)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-100}
runs=${2:-3}
forks=${3:-20}
only=${4:-all}
if [[ -z "${RESH_BIN:-}" ]]; then "$root/scripts/build-native.sh"; fi
RESH=${RESH_BIN:-$root/.build/resh/resh}
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v ansible >/dev/null || need+=(ansible-core)
if ((${#need[@]})); then
    apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >&2
fi

DIR=$(mktemp -d /tmp/rhXXXX)
port=24380
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
close_masters() { for s in "$@"; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true; done; }
cleanup() {
    close_masters "$DIR"/*/ssh/cm/* "$DIR"/cm/* "$DIR"/ansible-cp/*
    "$root/tests/setup/ssh.sh" down "$DIR" || true
    rm -rf "$DIR"
}
trap cleanup EXIT
echo "fleet of $n hosts: setting up" >&2
"$root/tests/setup/ssh.sh" up "$DIR" "$n" "$port"
mkdir -p "$DIR/cm" "$DIR/warm" "$DIR/first" "$DIR/before" "$DIR/soft" "$DIR/ansible-cp"
cat > "$DIR/resh.toml" <<CFG
[ssh]
config = "$DIR/ssh_config"
connect_timeout = "30s"
[inventory]
fleet = ["reshf[1:$n]"]
CFG
export RESH_CONFIG="$DIR/resh.toml" SSH_AUTH_SOCK=
stage="system://.uptime"
"$RESH" help system.uptime >/dev/null 2>&1 || stage="system://.hostname"
hosts=$(seq -f 'reshf%g' 1 "$n" | tr '\n' ' ')
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

summary() {
    /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)["result"]["summary"]
print("%d of %d hosts ok in %.1f s" % (s["ok"], s["hosts"], s["duration_ms"] / 1000))'
}
# First contact: every ControlMaster closed and every host's resh cache emptied before each run.
fresh() { # state dir
    echo "sh -c 'for s in $DIR/$1/ssh/cm/* $DIR/ansible-cp/*; do [ -S \"\$s\" ] && ssh -o ControlPath=\"\$s\" -O exit x >/dev/null 2>&1; done; rm -rf $DIR/fleet-cache/*/resh $DIR/$1/ssh/checked $DIR/ansible-cp/*; true'"
}
# Each build is compressed once and kept in its state dir: make that before timing.
RESH_HOME="$DIR/first" "$RESH" "ssh://reshf1/$stage" >/dev/null
args=(-n "resh --forks $forks (this build)" --prepare "$(fresh first)" "env RESH_HOME=$DIR/first $RESH --forks $forks ssh://@fleet/$stage")
if [[ -n "${RESH_BEFORE:-}" ]]; then
    RESH_HOME="$DIR/before" "$RESH_BEFORE" "ssh://reshf1/$stage" >/dev/null
    args+=(-n "resh --forks $forks (RESH_BEFORE)" --prepare "$(fresh before)" "env RESH_HOME=$DIR/before $RESH_BEFORE --forks $forks ssh://@fleet/$stage")
fi
args+=(-n "ansible -m command -f $forks (new connections)" --prepare "$(fresh first)" "ansible all -m command -a uptime -f $forks")
echo "== first contact with $n hosts: no connection, no resh on any host"
hyperfine -N -i --runs "$runs" --export-markdown "$DIR/first.md" "${args[@]}"
cat "$DIR/first.md"
echo "build: $(stat -c %s "$RESH") bytes; compressed: $(cd "$DIR"/first/ssh && stat -c "%n %s" build-*.gz build-*.zst 2>/dev/null | tr "\n" " ")"
# Every host answered a first contact (hyperfine -i ignores exit codes: check one here).
eval "$(fresh first)"
printf 'first contact check: '; RESH_HOME="$DIR/first" "$RESH" --forks "$forks" "ssh://@fleet/$stage" | summary

if [[ $only == first ]]; then echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; fi

echo "== warm fleet of $n: $stage"
RESH_HOME="$DIR/warm" "$RESH" --forks "$forks" "ssh://@fleet/$stage" >/dev/null
bash "$DIR/loop.sh"
ansible all -m command -a uptime -f "$forks" >/dev/null
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$DIR/warm.md" \
    -n "resh warm --forks $forks" "env RESH_HOME=$DIR/warm $RESH --forks $forks ssh://@fleet/$stage" \
    -n "ssh loop (ControlMaster, all at once)" "bash $DIR/loop.sh" \
    -n "ansible -m command -f $forks (ControlPersist)" "ansible all -m command -a uptime -f $forks"
cat "$DIR/warm.md"

echo "== soft limit of 64 open files (ulimit -Sn 64), new connections"
printf 'this build: '; ( ulimit -Sn 64; RESH_HOME="$DIR/soft" "$RESH" --forks "$forks" "ssh://@fleet/$stage" ) | summary
if [[ -n "${RESH_BEFORE:-}" ]]; then
    close_masters "$DIR"/before/ssh/cm/*
    printf 'RESH_BEFORE: '; ( ulimit -Sn 64; RESH_HOME="$DIR/before" "$RESH_BEFORE" --forks "$forks" "ssh://@fleet/$stage" ) | summary
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
