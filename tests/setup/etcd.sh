#!/bin/bash
# A real etcd 3.4 for the lock:// etcd tests, under one throwaway DIR, on two loopback ports the caller picked free
# (client CLIENT_PORT, peer PEER_PORT), with auth on: user root, password in DIR/password (0600). No fsync (throwaway
# data), never the system service. Stopped by the PID recorded here.
# usage: etcd.sh up DIR CLIENT_PORT PEER_PORT   |   etcd.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
up)
  CP=$3; PP=$4
  mkdir -p "$DIR"
  printf 'etcdtestpw\n' > "$DIR/password"; chmod 600 "$DIR/password"
  etcd --name resh --data-dir "$DIR/data" --logger zap --log-outputs stderr --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$CP" --advertise-client-urls "http://127.0.0.1:$CP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "resh=http://127.0.0.1:$PP" >"$DIR/etcd.log" 2>&1 &
  echo $! > "$DIR/etcd.pid"
  ctl() { ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$CP" --dial-timeout=1s --command-timeout=5s "$@"; }
  for i in $(seq 100); do ctl endpoint health >/dev/null 2>&1 && break; [ "$i" = 100 ] && { echo "etcd did not become healthy" >&2; cat "$DIR/etcd.log" >&2; exit 1; }; sleep 0.1; done
  ctl user add root:etcdtestpw >/dev/null
  ctl role add root >/dev/null 2>&1 || true
  ctl user grant-role root root >/dev/null 2>&1 || true
  ctl auth enable >/dev/null
  ;;
down)
  if [ -s "$DIR/etcd.pid" ]; then
    pid=$(cat "$DIR/etcd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
esac
