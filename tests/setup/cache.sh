#!/bin/bash
# Real cache servers for the cache:// tests, under one throwaway DIR, on loopback ports the caller picked free:
#   - redis-server with requirepass (DIR/password) on REDIS_PORT, and TLS on TLS_PORT with a certificate a test CA
#     (DIR/ca.pem) signed for 127.0.0.1 / localhost; no persistence (--save "", no AOF), never the system service;
#   - memcached on MEMCACHED_PORT (foreground, -u nobody: as root it refuses to start without one).
# Both are stopped by the PIDs recorded here.
# usage: cache.sh up DIR REDIS_PORT TLS_PORT MEMCACHED_PORT   |   cache.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 did not open" >&2; return 1; }
case $cmd in
up)
  RP=$3; TP=$4; MP=$5
  mkdir -p "$DIR"
  printf 'testpw\n' > "$DIR/password"; chmod 600 "$DIR/password"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 -subj "/CN=resh cache test CA" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$DIR/server.ext"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
    -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
  redis-server --bind 127.0.0.1 --port "$RP" --tls-port "$TP" --tls-cert-file "$DIR/server.pem" --tls-key-file "$DIR/server.key" \
    --tls-ca-cert-file "$DIR/ca.pem" --tls-auth-clients no --dir "$DIR" --daemonize yes --pidfile "$DIR/redis.pid" \
    --logfile "$DIR/redis.log" --save "" --appendonly no --requirepass testpw
  memcached -l 127.0.0.1 -p "$MP" -U 0 -m 64 -u nobody >"$DIR/memcached.log" 2>&1 &
  echo $! > "$DIR/memcached.pid"
  wait_port "$RP"; wait_port "$TP"; wait_port "$MP"
  for _ in $(seq 100); do [ -s "$DIR/redis.pid" ] && break; sleep 0.05; done
  ;;
down)
  for f in redis memcached; do
    if [ -s "$DIR/$f.pid" ]; then
      pid=$(cat "$DIR/$f.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
  done
  ;;
esac
