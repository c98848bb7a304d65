#!/usr/bin/env bash
# A real systemd (PID 1) in a systemd-nspawn container, for svc:// and cron:// tests.
# The host has no systemd and /run is not a tmpfs, hence --register=no --keep-unit, a private
# mount namespace with a tmpfs on /run/systemd/nspawn, and one cgroup subtree per container
# (without it parallel containers fight over the same /payload/system.slice).
# The root is built from the host's own files: a copy of /etc and the host's /usr bound read-only.
#
# usage: svc-systemd.sh boot DIR NAME RESH_BIN   builds DIR/root, copies resh to /opt/resh/resh inside,
#                                                boots, prints the leader (container PID 1) PID
#        svc-systemd.sh stop DIR NAME            poweroff, kill by PID if needed, remove cgroups and DIR/root
# NAME must start with reshsvc (the cgroup is resh-svc-NAME).
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2"); NAME=$3
[[ $NAME == reshsvc* ]] || { echo "container names must start with reshsvc" >&2; exit 2; }
CG=resh-svc-$NAME
ROOT=$DIR/root

hostroot() {
    rm -rf "$ROOT"; mkdir -p "$ROOT"/{usr,proc,sys,dev,run,tmp,root,home,opt/resh,var/{tmp,log,lib,cache,spool}}
    for l in bin sbin lib lib64; do ln -s usr/$l "$ROOT/$l"; done
    cp -a /etc "$ROOT/etc"
    # nspawn checks os-release before it binds /usr, and /etc/os-release points into /usr.
    rm -f "$ROOT/etc/os-release"; cp /usr/lib/os-release "$ROOT/etc/os-release"
    # Boot nothing the host happens to have enabled: only systemd's own static units.
    find "$ROOT/etc/systemd/system" -mindepth 2 -path '*.wants/*' -delete
    rm -f "$ROOT/etc/systemd/system/dbus-org."*
    # Each boot gets its own machine id (host and container ids must differ).
    : > "$ROOT/etc/machine-id"
    mkdir -p "$ROOT/var/log/journal"
}

case $cmd in
boot)
    RESH=$4
    mkdir -p "$DIR"
    hostroot
    cp "$RESH" "$ROOT/opt/resh/resh"
    for h in systemd unified; do mkdir -p "/sys/fs/cgroup/$h/$CG"; done
    CG=$CG setsid unshare -m --propagation private sh -c '
        for h in systemd unified; do echo $$ > /sys/fs/cgroup/$h/$CG/cgroup.procs; done
        mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn
        exec "$0" "$@"' \
        systemd-nspawn -D "$ROOT" --bind-ro=/usr --register=no --keep-unit -M "$NAME" -b \
        --console=pipe --private-network --timezone=copy </dev/null >"$DIR/nspawn.log" 2>&1 &
    echo $! > "$DIR/nspawn.pid"
    NSPAWN=$!
    L=
    for _ in $(seq 200); do
        kill -0 "$NSPAWN" 2>/dev/null || { cat "$DIR/nspawn.log" >&2; exit 1; }
        C=$(cat /proc/$NSPAWN/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -1 || true)
        if [[ -n $C && $(cat /proc/$C/comm 2>/dev/null) == systemd ]]; then L=$C; break; fi
        sleep 0.05
    done
    [[ -n $L ]] || { echo "systemd did not start" >&2; cat "$DIR/nspawn.log" >&2; exit 1; }
    echo "$L" > "$DIR/leader.pid"
    st=
    for _ in $(seq 300); do
        st=$(nsenter -t "$L" -a systemctl is-system-running 2>/dev/null || true)
        case $st in running|degraded) break;; esac
        sleep 0.05
    done
    case $st in running|degraded) ;; *) echo "systemd state: $st" >&2; cat "$DIR/nspawn.log" >&2; exit 1;; esac
    echo "$L"
    ;;
stop)
    if [[ -f $DIR/nspawn.pid ]]; then
        P=$(cat "$DIR/nspawn.pid")
        # nspawn turns SIGTERM into an orderly poweroff of the container.
        kill -TERM "$P" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$P" 2>/dev/null; then kill -KILL "$P" 2>/dev/null || true; sleep 0.2; fi
    fi
    for h in systemd unified; do
        if [[ -d /sys/fs/cgroup/$h/$CG ]]; then
            # Anything left in the subtree was started by this container: kill it by PID.
            for f in $(find "/sys/fs/cgroup/$h/$CG" -name cgroup.procs); do
                for p in $(cat "$f"); do kill -KILL "$p" 2>/dev/null || true; done
            done
            for _ in $(seq 40); do
                find "/sys/fs/cgroup/$h/$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
                [[ -d /sys/fs/cgroup/$h/$CG ]] || break
                sleep 0.05
            done
        fi
    done
    rm -rf "$ROOT"
    ;;
*) echo "usage: $0 boot|stop DIR NAME [RESH_BIN]" >&2; exit 2 ;;
esac
