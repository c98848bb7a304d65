#!/bin/bash
# A real NATS server for the mq:// NATS tests, under one throwaway DIR, on loopback ports the caller picked free:
# nats-server 2.9 with JetStream (store in DIR/js), a user `resh` whose password is in DIR/password (0600), and
# no_auth_user `anon` so that an inline mq://127.0.0.1:PORT/QUEUE target (no credentials) works too; max_payload is
# 256KiB so the oversized-message test stays small. Never the system service; stopped by the PID recorded here.
# usage: nats.sh up DIR PORT MONITOR_PORT   |   nats.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
up)
  PORT=$3; MON=$4
  mkdir -p "$DIR/js"
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s' "$pw" > "$DIR/password"; chmod 600 "$DIR/password"
  cat > "$DIR/nats.conf" <<CONF
listen: 127.0.0.1:$PORT
http: 127.0.0.1:$MON
max_payload: 262144
jetstream { store_dir: "$DIR/js" }
authorization { users = [ {user: resh, password: "$pw"}, {user: anon} ] }
no_auth_user: anon
CONF
  chmod 600 "$DIR/nats.conf"
  nats-server -c "$DIR/nats.conf" -l "$DIR/nats.log" -P "$DIR/nats.pid" >"$DIR/nats.out" 2>&1 &
  for _ in $(seq 200); do
    curl -fsS "http://127.0.0.1:$MON/healthz" 2>/dev/null | grep -q ok && exit 0
    sleep 0.05
  done
  echo "nats-server did not become healthy on 127.0.0.1:$PORT" >&2; cat "$DIR/nats.log" >&2 || true; exit 1
  ;;
down)
  if [ -s "$DIR/nats.pid" ]; then
    pid=$(cat "$DIR/nats.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
esac
