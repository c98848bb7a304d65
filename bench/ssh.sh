#!/usr/bin/env bash
# ssh:// against what operators use today, on the 20-host netns fleet of tests/setup/ssh.sh (each host
# with its own remote resh cache, as separate machines):
#   1. warm fleet call: resh (ControlMasters open) vs a plain parallel ssh loop over ControlMaster vs
#      ansible -m command -f 20; then the same three with become (sudo) on;
#   2. first contact: no ControlMaster and no resh on any host (the build is uploaded to all 20),
#      with --forks 5, 10 and 20;
#   3. one warm remote op on loopback.
# Installs hyperfine, ansible-core and sudo (Debian) if missing. Prints hyperfine tables and ratios.
# Uses the fleet's global names (netns reshf*, bridge reshfleet0): run it under flock /tmp/resh-suite.lock.
# usage: bench/ssh.sh [runs]      (RESH_BIN overrides the binary)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=${1:-10}
if [[ -z "${RESH_BIN:-}" ]]; then "$root/scripts/build-native.sh"; fi
RESH=${RESH_BIN:-$root/.build/resh/resh}
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v ansible >/dev/null || need+=(ansible-core)
command -v sudo >/dev/null || need+=(sudo)
if ((${#need[@]})); then
    apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >&2
fi

DIR=$(mktemp -d /tmp/rbXXXX)
port=24380
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
close_masters() { for s in "$@"; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true; done; }
cleanup() {
    close_masters "$DIR"/warm/ssh/cm/* "$DIR"/cold/ssh/cm/* "$DIR"/first/ssh/cm/* "$DIR"/cm/*
    "$root/tests/setup/ssh.sh" down "$DIR" || true
    rm -rf "$DIR"
}
trap cleanup EXIT
"$root/tests/setup/ssh.sh" up "$DIR" 20 "$port"
mkdir -p "$DIR/cm" "$DIR/warm" "$DIR/cold" "$DIR/first" "$DIR/ansible-cp"
cat > "$DIR/resh.toml" <<CFG
[ssh]
config = "$DIR/ssh_config"
[inventory]
fleet = ["reshf[1:20]"]
CFG
export RESH_CONFIG="$DIR/resh.toml" SSH_AUTH_SOCK=
# system://.uptime where this build has it, else system://.hostname (the same remote round trip).
stage="system://.uptime"
"$RESH" help system.uptime >/dev/null 2>&1 || stage="system://.hostname"
hosts=$(seq -f 'reshf%g' 1 20 | tr '\n' ' ')
ssh_opts="-F $DIR/ssh_config -o ControlMaster=auto -o ControlPath=$DIR/cm/%C -o ControlPersist=300"
cat > "$DIR/loop.sh" <<LOOP
for h in $hosts; do ssh $ssh_opts \$h uptime >/dev/null & done; wait
LOOP
cat > "$DIR/loop-sudo.sh" <<LOOP
for h in $hosts; do ssh $ssh_opts \$h sudo -n uptime >/dev/null & done; wait
LOOP
cat > "$DIR/ansible.cfg" <<CFG
[defaults]
inventory = $DIR/inventory.ini
interpreter_python = /usr/bin/python3
forks = 20
gathering = explicit
[ssh_connection]
ssh_common_args = -F $DIR/ssh_config
control_path_dir = $DIR/ansible-cp
CFG
export ANSIBLE_CONFIG="$DIR/ansible.cfg"

# Warm everything once: the remote resh caches, the masters, ansible's own ControlPersist.
RESH_HOME="$DIR/warm" "$RESH" "ssh://@fleet/$stage" >/dev/null
bash "$DIR/loop.sh"
ansible all -m command -a uptime -f 20 >/dev/null

echo "== warm fleet of 20: $stage"
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$DIR/fleet.md" \
    -n "resh warm" "env RESH_HOME=$DIR/warm $RESH ssh://@fleet/$stage" \
    -n "resh cold (new connections)" --prepare "sh -c 'for s in $DIR/cold/ssh/cm/*; do [ -S \"\$s\" ] && ssh -o ControlPath=\"\$s\" -O exit x >/dev/null 2>&1; done; true'" \
        "env RESH_HOME=$DIR/cold $RESH ssh://@fleet/$stage" \
    -n "ssh loop (ControlMaster)" "bash $DIR/loop.sh" \
    -n "ansible -m command -f 20" "ansible all -m command -a uptime -f 20"
cat "$DIR/fleet.md"

echo "== warm fleet of 20 with become (sudo; the login user is root, so no password)"
RESH_HOME="$DIR/warm" "$RESH" "ssh://@fleet/$stage" --become >/dev/null
bash "$DIR/loop-sudo.sh"
ansible all -b -m command -a uptime -f 20 >/dev/null
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$DIR/become.md" \
    -n "resh --become warm" "env RESH_HOME=$DIR/warm $RESH ssh://@fleet/$stage --become" \
    -n "ssh loop sudo -n (ControlMaster)" "bash $DIR/loop-sudo.sh" \
    -n "ansible -b -m command -f 20" "ansible all -b -m command -a uptime -f 20"
cat "$DIR/become.md"

echo "== first contact with 20 hosts: no connection, no resh on any host (the build is uploaded to each)"
fresh="sh -c 'for s in $DIR/first/ssh/cm/*; do [ -S \"\$s\" ] && ssh -o ControlPath=\"\$s\" -O exit x >/dev/null 2>&1; done; rm -rf $DIR/fleet-cache/*/resh $DIR/first/ssh/checked; true'"
# The gzipped build is made once per build and kept in the state dir: make it before timing.
RESH_HOME="$DIR/first" "$RESH" "ssh://reshf1/$stage" >/dev/null
hyperfine -N --runs 3 --export-markdown "$DIR/first.md" \
    -n "resh --forks 5" --prepare "$fresh" "env RESH_HOME=$DIR/first $RESH --forks 5 ssh://@fleet/$stage" \
    -n "resh --forks 10" --prepare "$fresh" "env RESH_HOME=$DIR/first $RESH --forks 10 ssh://@fleet/$stage" \
    -n "resh --forks 20" --prepare "$fresh" "env RESH_HOME=$DIR/first $RESH --forks 20 ssh://@fleet/$stage"
cat "$DIR/first.md"
echo "build: $(stat -c %s "$RESH") bytes; compressed: $(cd "$DIR"/first/ssh && stat -c "%n %s" build-*.gz build-*.zst 2>/dev/null | tr "\n" " ")"

echo "== one warm remote operation on loopback"
RESH_HOME="$DIR/warm" "$RESH" "ssh://box/$stage" >/dev/null
hyperfine -N --warmup 3 --runs $((runs * 3)) --export-markdown "$DIR/one.md" \
    -n "resh ssh://box/$stage (warm)" "env RESH_HOME=$DIR/warm $RESH ssh://box/$stage" \
    -n "ssh box uptime (ControlMaster)" "ssh $ssh_opts box uptime" \
    -n "resh $stage (local)" "$RESH $stage"
cat "$DIR/one.md"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
