#!/usr/bin/env bash
# Two network namespaces joined by a veth pair for firewall:// tests, so nothing touches the host's
# ruleset: NAMEs (the "server", whose firewall is under test, 10.99.0.1/24) and NAMEc (the client,
# 10.99.0.2/24). A listener in NAMEs accepts TCP on ports 24080-24083. A holder process sits in
# NAMEs plus a private mount namespace prepared for the backend:
#   nftables, iptables  nothing else
#   ufw                 a copy of /etc/ufw and /etc/default/ufw bound over the real ones
#   firewalld           a copy of /etc/firewalld, tmpfs on /run and /var/log, a private system D-Bus
#                       and firewalld itself (its tables live only in NAMEs)
# Run programs there with `nsenter -t PID -n -m CMD`.
#
# usage: fw-netns.sh up DIR NAME BACKEND   prints the holder's PID (NAME: at most 10 characters)
#        fw-netns.sh down DIR NAME         kills what it started (by PID) and deletes both namespaces
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2"); NAME=$3
S=${NAME}s; C=${NAME}c
case $cmd in
up)
    BACKEND=$4
    mkdir -p "$DIR"
    ip netns add "$S"; ip netns add "$C"
    ip link add "${NAME}a" type veth peer name "${NAME}b"
    ip link set "${NAME}a" netns "$S"; ip link set "${NAME}b" netns "$C"
    ip -n "$S" addr add 10.99.0.1/24 dev "${NAME}a"; ip -n "$S" link set "${NAME}a" up; ip -n "$S" link set lo up
    ip -n "$C" addr add 10.99.0.2/24 dev "${NAME}b"; ip -n "$C" link set "${NAME}b" up; ip -n "$C" link set lo up
    ip netns exec "$S" /usr/bin/python3 -c '
import selectors, socket
sel = selectors.DefaultSelector()
for port in range(24080, 24084):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(128); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.close()
' </dev/null >"$DIR/listener.log" 2>&1 &
    echo $! > "$DIR/listener.pid"
    case $BACKEND in
    ufw)
        cp -a /etc/ufw "$DIR/ufw"; cp -a /etc/default/ufw "$DIR/default-ufw"
        setup="mount --bind '$DIR/ufw' /etc/ufw; mount --bind '$DIR/default-ufw' /etc/default/ufw; exec sleep infinity" ;;
    firewalld)
        cp -a /etc/firewalld "$DIR/etc-firewalld"; mkdir -p "$DIR/log"
        setup="mount --bind '$DIR/etc-firewalld' /etc/firewalld; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /var/log
               mkdir -p /run/dbus; dbus-daemon --system --fork --print-pid > '$DIR/dbus.pid'
               /usr/sbin/firewalld --nofork --nopid --log-file '$DIR/log/firewalld.log' & echo \$! > '$DIR/firewalld.pid'
               exec sleep infinity" ;;
    *) setup="exec sleep infinity" ;;
    esac
    setsid ip netns exec "$S" unshare -m --propagation private bash -c "set -e; $setup" </dev/null >"$DIR/holder.log" 2>&1 &
    P=$!
    echo $P > "$DIR/holder.pid"
    holder=
    for _ in $(seq 300); do
        kill -0 "$P" 2>/dev/null || { cat "$DIR/holder.log" >&2; exit 1; }
        for c in $P $(cat /proc/$P/task/*/children 2>/dev/null); do
            [[ $(readlink /proc/$c/exe 2>/dev/null) == */sleep ]] && holder=$c
        done
        [[ -n $holder ]] && break
        sleep 0.02
    done
    [[ -n $holder ]] || { echo "fw-netns: holder did not start" >&2; cat "$DIR/holder.log" >&2; exit 1; }
    echo "$holder" > "$DIR/holder-inner.pid"
    if [[ $BACKEND == firewalld ]]; then
        for _ in $(seq 300); do
            state=$(nsenter -t "$holder" -n -m firewall-cmd --state 2>/dev/null || true)
            [[ $state == running ]] && break
            sleep 0.05
        done
        [[ $state == running ]] || { echo "fw-netns: firewalld did not start" >&2; cat "$DIR/log/firewalld.log" >&2 || true; exit 1; }
    fi
    for _ in $(seq 100); do
        ip netns exec "$S" bash -c 'exec 3<>/dev/tcp/127.0.0.1/24083' 2>/dev/null && break
        sleep 0.02
    done
    echo "$holder"
    ;;
down)
    for f in firewalld dbus listener holder-inner holder; do
        [[ -f $DIR/$f.pid ]] && kill -TERM "$(cat "$DIR/$f.pid")" 2>/dev/null || true
    done
    # firewalld removes its tables on exit; give it a moment, then remove the namespaces either way.
    for _ in $(seq 50); do [[ -f $DIR/firewalld.pid ]] && kill -0 "$(cat "$DIR/firewalld.pid")" 2>/dev/null || break; sleep 0.05; done
    ip netns del "$S" 2>/dev/null || true
    ip netns del "$C" 2>/dev/null || true
    rm -f "$DIR"/*.pid
    ;;
*) echo "usage: $0 up DIR NAME BACKEND | down DIR NAME" >&2; exit 2 ;;
esac
