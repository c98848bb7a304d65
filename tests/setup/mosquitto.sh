#!/bin/bash
# A real MQTT 5 broker for the mq:// MQTT tests, under one throwaway DIR, on a loopback port the caller picked free:
# mosquitto 2 with its own config (listener on 127.0.0.1 only, persistence in DIR/data, no limit on queued messages), a
# password file with the user `resh` (its password in DIR/password, 0600), and anonymous clients allowed so that an inline
# mq://127.0.0.1:PORT/QUEUE target (no credentials) works too. Never the system service; stopped by the PID recorded here.
# As root, mosquitto drops to the user `mosquitto`: its files are handed to that user (DIR's parents must let it through).
# usage: mosquitto.sh up DIR PORT   |   mosquitto.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
up)
  PORT=$3
  mkdir -p "$DIR/data"
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s' "$pw" > "$DIR/password"; chmod 600 "$DIR/password"
  : > "$DIR/passwd"; chmod 600 "$DIR/passwd"
  mosquitto_passwd -b "$DIR/passwd" resh "$pw"
  cat > "$DIR/mosquitto.conf" <<CONF
per_listener_settings false
listener $PORT 127.0.0.1
allow_anonymous true
password_file $DIR/passwd
persistence true
persistence_location $DIR/data/
max_queued_messages 0
log_dest file $DIR/mosquitto.log
log_type error
log_type warning
log_type notice
log_type subscribe
CONF
  chmod 600 "$DIR/mosquitto.conf"
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    : > "$DIR/mosquitto.log"
    chown mosquitto "$DIR/passwd" "$DIR/data" "$DIR/mosquitto.log" "$DIR/mosquitto.conf"
  fi
  mosquitto -c "$DIR/mosquitto.conf" >"$DIR/mosquitto.out" 2>&1 &
  echo $! > "$DIR/mosquitto.pid"
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && exit 0
    kill -0 "$(cat "$DIR/mosquitto.pid")" 2>/dev/null || break
    sleep 0.05
  done
  echo "mosquitto did not listen on 127.0.0.1:$PORT" >&2; cat "$DIR/mosquitto.out" "$DIR/mosquitto.log" >&2 || true; exit 1
  ;;
down)
  if [ -s "$DIR/mosquitto.pid" ]; then
    pid=$(cat "$DIR/mosquitto.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
esac
