#!/usr/bin/env bash
# Debian's cron (vixie cron 3.0pl1) isolated from the host's tables: a private mount namespace binds
# DIR/crontabs over /var/spool/cron/crontabs, DIR/cron.d over /etc/cron.d, DIR/crontab over
# /etc/crontab and a tmpfs over /run (crond.pid), then cron runs in the foreground as that
# namespace's first process. Enter it with `nsenter -t PID -m CMD` to see cron's tables.
# cron rereads the spool when its mtime (whole seconds) changes, so a crontab written in the same
# second cron started can be missed: start waits for the next second before it returns.
#
# usage: cron-sandbox.sh start DIR   prints cron's PID
#        cron-sandbox.sh stop DIR    kills cron (and the jobs it started) by PID
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
start)
    mkdir -p "$DIR/crontabs" "$DIR/cron.d"; : > "$DIR/crontab"
    chown root:crontab "$DIR/crontabs"; chmod 1730 "$DIR/crontabs"
    setsid unshare -m --propagation private bash -c "
        set -e
        mount --bind '$DIR/crontabs' /var/spool/cron/crontabs
        mount --bind '$DIR/cron.d' /etc/cron.d
        mount --bind '$DIR/crontab' /etc/crontab
        mount -t tmpfs tmpfs /run
        exec /usr/sbin/cron -f -L 15" </dev/null >"$DIR/cron.log" 2>&1 &
    P=$!
    echo $P > "$DIR/cron.pid"
    for _ in $(seq 100); do
        kill -0 "$P" 2>/dev/null || { cat "$DIR/cron.log" >&2; exit 1; }
        [[ $(readlink /proc/$P/exe 2>/dev/null) == */cron ]] && break
        sleep 0.02
    done
    sleep 1.1
    echo "$P"
    ;;
stop)
    [[ -f $DIR/cron.pid ]] || exit 0
    P=$(cat "$DIR/cron.pid")
    # Jobs cron started are its children: kill them first, by PID, then cron.
    for c in $(cat /proc/$P/task/*/children 2>/dev/null); do kill -TERM "$c" 2>/dev/null || true; done
    kill -TERM "$P" 2>/dev/null || true
    rm -f "$DIR/cron.pid"
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
