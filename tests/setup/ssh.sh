#!/bin/bash
# Real sshd backends for the ssh:// tests, all under one throwaway DIR:
#   - one sshd on loopback (127.0.0.1:PORT, default 24301) with its own host key;
#   - a fleet of N hosts (default 20): network namespaces reshf1..reshfN on bridge reshfleet0
#     (10.251.0.0/24, host i = 10.251.0.(10+i)), each with its own hostname (UTS namespace),
#     its own host key and an sshd on :22;
#   - the loopback sshd on 127.0.0.7 plays an aarch64 host (a uname on its sessions' PATH says so);
#   - a host reachable only through reshf2 (sshd on 127.0.0.1:2222 inside reshf2's namespace,
#     hostname reshinner), for ProxyJump.
# It writes DIR/ssh_config (client config for `ssh -F`), DIR/known_hosts, DIR/client_ed25519
# and DIR/inventory.ini (an Ansible INI inventory of the fleet); the caller writes DIR/resh.toml, which
# remote sessions get as RESH_CONFIG (a resh running on a host never reads a real home's config). The namespaces get no default route
# and ip_forward is untouched: nothing leaves the machine. Remote sessions get XDG_CACHE_HOME and
# RESH_HOME inside DIR (sshd SetEnv), so the remote resh cache never lands in a real home.
# usage: ssh.sh up DIR [N] [PORT]   |   ssh.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2"); N=${3:-20}; PORT=${4:-24301}
BR=reshfleet0; NET=10.251.0; PFX=reshf

sshd_conf() { # name listen port
  cat > "$DIR/sshd_$1.conf" <<CFG
ListenAddress $2
Port $3
HostKey $DIR/host_$1
PidFile $DIR/sshd_$1.pid
AuthorizedKeysFile $DIR/authorized_keys $DIR/userkeys/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 100
CFG
  ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$DIR/host_$1" <<<y >/dev/null
}

# Last in each sshd config (a Match block runs to the end of the file). Other users (the become tests'
# throwaway users, keys in DIR/userkeys/USER) keep their own home's cache and config.
# The loopback host caches resh builds in DIR/remote-cache; each fleet host has a cache of its own
# (DIR/fleet-cache/NAME), as separate machines would, so a first contact uploads to every host.
sshd_finish() {
  local cache=$DIR/remote-cache
  [[ $1 == $PFX* ]] && cache=$DIR/fleet-cache/$1
  # 127.0.0.7 on the loopback sshd plays an aarch64 host: its sessions find a uname first on PATH that says
  # aarch64 to -m (the real one for anything else), and have a build cache of their own (DIR/arm-cache).
  # sshd uses the first SetEnv that applies, so this block goes before the one for every root session.
  if [[ $1 == loop ]]; then
    cat >> "$DIR/sshd_$1.conf" <<CFG
Match LocalAddress 127.0.0.7 User root
  SetEnv PATH=$DIR/arm-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin XDG_CACHE_HOME=$DIR/arm-cache RESH_HOME=$DIR/remote-state RESH_CONFIG=$DIR/resh.toml
CFG
  fi
  cat >> "$DIR/sshd_$1.conf" <<CFG
Match User root
  SetEnv XDG_CACHE_HOME=$cache RESH_HOME=$DIR/remote-state RESH_CONFIG=$DIR/resh.toml
CFG
}

wait_pid() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "no pid file $1" >&2; return 1; }

# The test hosts model ordinary servers: a login user's ~/.bashrc (bash reads it for every ssh
# command) is blanked inside each sshd's private mount namespace. On this image root's .bashrc runs
# pyenv init, ~140 ms per remote command for resh, plain ssh and Ansible alike.
ROOT_RC="$(getent passwd root | cut -d: -f6)/.bashrc"
QUIET_RC="[ -f $ROOT_RC ] && mount --bind $DIR/empty-rc $ROOT_RC;"

case $cmd in
up)
  if ss -Hltn "sport = :$PORT" | grep -q .; then echo "port $PORT already in use" >&2; exit 1; fi
  # Leftovers of a run that died before its teardown (our own names only).
  for i in $(seq 1 100); do ip link del v$PFX$i 2>/dev/null || true; ip netns del $PFX$i 2>/dev/null || true; done
  ip link del $BR 2>/dev/null || true
  mkdir -p "$DIR" "$DIR/remote-cache" "$DIR/fleet-cache" "$DIR/remote-state" "$DIR/userkeys"; mkdir -p /run/sshd
  # Other users may pass through DIR (not list it) to reach their own key in DIR/userkeys.
  chmod 711 "$DIR" "$DIR/userkeys"
  : > "$DIR/empty-rc"
  ssh-keygen -q -t ed25519 -N '' -C resh-test-client -f "$DIR/client_ed25519" <<<y >/dev/null
  cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"; chmod 600 "$DIR/authorized_keys"
  : > "$DIR/known_hosts"
  {
    echo "# written by tests/setup/ssh.sh"
    echo "Host *"
    echo "  User root"
    echo "  IdentityFile $DIR/client_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  BatchMode yes"
    echo "  UserKnownHostsFile $DIR/known_hosts"
    echo "  GlobalKnownHostsFile /dev/null"
    echo "  HashKnownHosts no"
    echo "  LogLevel ERROR"
    echo "  ConnectTimeout 5"
  } > "$DIR/ssh_config.tail"

  # loopback sshd
  sshd_conf loop 127.0.0.1 "$PORT"
  # More loopback addresses for the same sshd: aliases that must not share a ControlMaster with box.
  for a in 2 3 4 5 6 7; do echo "ListenAddress 127.0.0.$a" >> "$DIR/sshd_loop.conf"; done
  mkdir -p "$DIR/arm-bin" "$DIR/arm-cache"
  printf '#!/bin/sh\n[ "$1" = -m ] && [ $# = 1 ] && { echo aarch64; exit 0; }\nexec /usr/bin/uname "$@"\n' > "$DIR/arm-bin/uname"
  chmod 755 "$DIR/arm-bin/uname"
  sshd_finish loop
  /usr/sbin/sshd -t -f "$DIR/sshd_loop.conf"
  unshare -m --propagation private sh -c "$QUIET_RC exec /usr/sbin/sshd -f $DIR/sshd_loop.conf -E $DIR/sshd_loop.log"
  wait_pid "$DIR/sshd_loop.pid"
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/host_loop.pub")" >> "$DIR/known_hosts"
  {
    echo "Host box"
    echo "  HostName 127.0.0.1"
    echo "  Port $PORT"
  } > "$DIR/ssh_config.head"

  # fleet
  ip link add $BR type bridge
  ip addr add $NET.1/24 dev $BR
  ip link set $BR up
  {
    echo "[fleet]"
  } > "$DIR/inventory.ini"
  for i in $(seq 1 "$N"); do
    ns=$PFX$i; ip=$NET.$((10+i))
    ip netns add $ns
    ip link add v$PFX$i type veth peer name eth0 netns $ns
    ip link set v$PFX$i master $BR up
    ip -n $ns addr add $ip/24 dev eth0
    ip -n $ns link set eth0 up
    ip -n $ns link set lo up
    sshd_conf $ns $ip 22
    sshd_finish $ns
    ip netns exec $ns unshare --uts -m --propagation private sh -c "hostname $ns; $QUIET_RC exec /usr/sbin/sshd -f $DIR/sshd_$ns.conf -E $DIR/sshd_$ns.log"
    echo "$ip $(cut -d' ' -f1,2 "$DIR/host_$ns.pub")" >> "$DIR/known_hosts"
    printf 'Host %s\n  HostName %s\n' $ns $ip >> "$DIR/ssh_config.head"
    echo "f$i ansible_host=$ip" >> "$DIR/inventory.ini"
  done
  printf '\n[fleet:vars]\nansible_user=root\nansible_port=22\n\n[all:children]\nfleet\n' >> "$DIR/inventory.ini"

  # a host only reshf2 can reach: ProxyJump target
  sshd_conf inner 127.0.0.1 2222
  sshd_finish inner
  ip netns exec ${PFX}2 unshare --uts -m --propagation private sh -c "hostname reshinner; $QUIET_RC exec /usr/sbin/sshd -f $DIR/sshd_inner.conf -E $DIR/sshd_inner.log"
  echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 "$DIR/host_inner.pub")" >> "$DIR/known_hosts"
  printf 'Host inner\n  HostName 127.0.0.1\n  Port 2222\n  ProxyJump %s2\n' $PFX >> "$DIR/ssh_config.head"

  for i in $(seq 1 "$N"); do wait_pid "$DIR/sshd_$PFX$i.pid"; done
  wait_pid "$DIR/sshd_inner.pid"
  cat "$DIR/ssh_config.head" "$DIR/ssh_config.tail" > "$DIR/ssh_config"
  rm -f "$DIR/ssh_config.head" "$DIR/ssh_config.tail"
  ;;
down)
  # Listeners first, then the per-connection sshd children they forked (sessions outlive a killed listener).
  for pidfile in "$DIR"/sshd_*.pid; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    children=$(pgrep -P "$pid" || true)
    kill "$pid" 2>/dev/null || true
    for c in $children; do kill "$c" 2>/dev/null || true; done
    rm -f "$pidfile"
  done
  for i in $(seq 1 100); do
    ip link del v$PFX$i 2>/dev/null || true
    ip netns del $PFX$i 2>/dev/null || true
  done
  ip link del $BR 2>/dev/null || true
  ;;
*) echo "usage: $0 up|down DIR [N] [PORT]" >&2; exit 2 ;;
esac
