#!/usr/bin/env bash
# OpenRC (not PID 1) as a plain service manager in a private mount namespace: DIR/initd over
# /etc/init.d, DIR/confd over /etc/conf.d (when the host has one), DIR/runlevels over /etc/runlevels and DIR/state over
# /run/openrc, so the host's init scripts and state are never touched. OpenRC refuses to work on a
# system it did not boot unless /run/openrc/softlevel exists, and without its state subdirectories
# every start says "already starting". The namespace is held open by a sleeping process; enter it
# with `nsenter -t PID -m CMD`.
#
# usage: svc-openrc.sh start DIR   prints the PID that holds the namespace
#        svc-openrc.sh stop DIR    stops services started inside, kills the holder by PID
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
start)
    mkdir -p "$DIR/initd" "$DIR/confd" "$DIR/state" "$DIR/runlevels"/{sysinit,boot,default,shutdown,nonetwork}
    setsid unshare -m --propagation private bash -c "
        set -e
        mount --bind '$DIR/state' /run/openrc
        mount --bind '$DIR/initd' /etc/init.d
        if [ -d /etc/conf.d ]; then mount --bind '$DIR/confd' /etc/conf.d; fi
        mount --bind '$DIR/runlevels' /etc/runlevels
        mkdir -p /run/openrc/{daemons,exclusive,failed,hotplugged,inactive,options,scheduled,started,starting,stopping,tmp,wasinactive}
        touch /run/openrc/softlevel
        echo ready > '$DIR/ready'
        exec sleep infinity" </dev/null >"$DIR/holder.log" 2>&1 &
    echo $! > "$DIR/holder.pid"
    for _ in $(seq 100); do [[ -f $DIR/ready ]] && break; sleep 0.02; done
    [[ -f $DIR/ready ]] || { cat "$DIR/holder.log" >&2; exit 1; }
    cat "$DIR/holder.pid"
    ;;
stop)
    [[ -f $DIR/holder.pid ]] || exit 0
    P=$(cat "$DIR/holder.pid")
    # Daemons started through OpenRC record their pidfiles under the state dir: stop them by PID.
    for f in $(find "$DIR/state" "$DIR/run" -name '*.pid' 2>/dev/null); do
        p=$(cat "$f" 2>/dev/null || true); [[ $p =~ ^[0-9]+$ ]] && kill -TERM "$p" 2>/dev/null || true
    done
    kill -TERM "$P" 2>/dev/null || true
    rm -f "$DIR/holder.pid" "$DIR/ready"
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
