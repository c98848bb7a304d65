#!/usr/bin/env bash
# A throwaway copy of the machine's account world for user:// tests. A private mount namespace binds
# DIR/etc over /etc (a copy of the real one), and fresh directories over /home, /var/mail and /var/log,
# then holds the namespace open with a sleeping process. Enter it with `nsenter -t PID -m CMD`: useradd,
# getent and resh there see only the copy, so the machine's own users, groups, sudoers, homes and
# lastlog are never touched. DIR/etc/shadow can be read from outside to check the results.
#
# usage: user-sandbox.sh start DIR   prints the holder's PID
#        user-sandbox.sh stop DIR    kills the holder (by PID); DIR is left for the caller to remove
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
start)
    # The copy holds /etc/shadow and host keys: only root may look at it from outside.
    mkdir -p "$DIR/home" "$DIR/mail" "$DIR/log"; chmod 700 "$DIR"
    cp -a /etc "$DIR/etc"
    : > "$DIR/log/lastlog"; : > "$DIR/log/faillog"
    chmod 2775 "$DIR/mail"; chgrp mail "$DIR/mail" 2>/dev/null || true
    setsid unshare -m --propagation private bash -c "
        set -e
        mount --bind '$DIR/etc' /etc
        mount --bind '$DIR/home' /home
        mount --bind '$DIR/mail' /var/mail
        mount --bind '$DIR/log' /var/log
        exec sleep infinity" </dev/null >"$DIR/sandbox.log" 2>&1 &
    P=$!
    echo $P > "$DIR/holder.pid"
    for _ in $(seq 200); do
        kill -0 "$P" 2>/dev/null || { cat "$DIR/sandbox.log" >&2; exit 1; }
        [[ $(readlink /proc/$P/exe 2>/dev/null) == */sleep ]] && break
        sleep 0.01
    done
    echo "$P"
    ;;
stop)
    [[ -f $DIR/holder.pid ]] || exit 0
    kill -TERM "$(cat "$DIR/holder.pid")" 2>/dev/null || true
    rm -f "$DIR/holder.pid"
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
