#!/usr/bin/env bash
# A standalone systemd-journald (no systemd as PID 1) in a private mount namespace: a tmpfs over /run,
# DIR/run bound over /run/systemd/journal (its sockets: DIR/run/socket, DIR/run/dev-log, DIR/run/stdout),
# DIR/runlog over /run/log (the journal files: DIR/runlog/journal/MACHINE-ID/*.journal) and DIR/journald.conf
# over /etc/systemd/journald.conf (no kernel messages, volatile storage). Outside the namespace, tests send
# to the sockets under DIR/run and read with `journalctl -D DIR/runlog/journal`.
#
# usage: journald.sh start DIR   prints journald's PID once its socket exists
#        journald.sh stop DIR    stops it by PID
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
start)
    [[ -x /lib/systemd/systemd-journald ]] || { echo "systemd-journald is not installed" >&2; exit 1; }
    mkdir -p "$DIR/run" "$DIR/runlog"
    printf '[Journal]\nStorage=volatile\nReadKMsg=no\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToWall=no\n' > "$DIR/journald.conf"
    setsid unshare -m --propagation private bash -c "
        set -e
        mount -t tmpfs tmpfs /run
        mkdir -p /run/systemd/journal /run/log
        mount --bind '$DIR/run' /run/systemd/journal
        mount --bind '$DIR/runlog' /run/log
        mount --bind '$DIR/journald.conf' /etc/systemd/journald.conf
        exec /lib/systemd/systemd-journald" </dev/null >"$DIR/journald.log" 2>&1 &
    P=$!
    echo $P > "$DIR/journald.pid"
    for _ in $(seq 200); do
        kill -0 "$P" 2>/dev/null || { cat "$DIR/journald.log" >&2; exit 1; }
        [[ -S $DIR/run/socket ]] && compgen -G "$DIR/runlog/journal/*/system.journal" >/dev/null && break
        sleep 0.02
    done
    echo "$P"
    ;;
stop)
    [[ -f $DIR/journald.pid ]] || exit 0
    P=$(cat "$DIR/journald.pid")
    kill -TERM "$P" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.02; done
    rm -f "$DIR/journald.pid"
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
