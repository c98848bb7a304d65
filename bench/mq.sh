#!/usr/bin/env bash
# mq:// benchmarks (issue 16), embedded queue: 100,000 publishes from one `resh batch` (target >= 5,000/s durable: every
# answer is written after its message was fsynced; consecutive publishes share one fsync), then the same messages
# consumed by one batch of consume count=100 calls. Also the fsync count, to show the grouping.
# Then the same on NATS JetStream (target >= 50,000/s: every answer written after the server's ack; consecutive publishes
# do not wait for each ack in turn), against a nats-server started here on a free loopback port (skipped without nats-server).
# Then on Redis Streams (every answer written after XADD's reply; a batch's XADDs are pipelined), against a redis-server
# started here on a free loopback port without persistence (skipped without redis-server).
# Then MQTT 5 against a mosquitto started here by tests/setup/mosquitto.sh (persistence on; skipped without mosquitto): the
# queue's session is made first (MQTT keeps messages only for sessions), every publish is QoS 1 and answered after its
# PUBACK, consume count=100 acks (PUBACK) each message it returns.
# Usage: bench/mq.sh   (N=messages, default 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
n="${N:-100000}"
work="$(mktemp -d /tmp/resh-bench-mq.XXXXXX)"
nats_pid=""
redis_pid=""
trap '[[ -n "$nats_pid" ]] && kill "$nats_pid" 2>/dev/null; [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null; [[ -d "$work/mqtt" ]] && "$root/tests/setup/mosquitto.sh" down "$work/mqtt"; rm -rf "$work"' EXIT
export RESH_HOME="$work/home"
mkdir -m 0700 "$RESH_HOME"

/usr/bin/python3 - "$n" > "$work/publish.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "stage": "mq:///bench", "verb": "publish", "args": {"body": f"message {i} " + "x" * 64}}))
PY
/usr/bin/python3 - "$n" > "$work/consume.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1]) // 100):
    print(json.dumps({"id": i, "stage": "mq:///bench", "verb": "consume", "args": {"count": 100}}))
PY

fsyncs="n/a"
start=$(date +%s%N)
if command -v strace >/dev/null && [[ "${STRACE:-0}" == 1 ]]; then
  strace -f -c -e trace=fsync,fdatasync -o "$work/strace" "$resh" batch < "$work/publish.ndjson" > "$work/published.ndjson"
  fsyncs=$(awk '/fsync/ {print $4}' "$work/strace")
else
  cat "$work/publish.ndjson" | "$resh" batch > "$work/published.ndjson"
fi
mid=$(date +%s%N)
cat "$work/consume.ndjson" | "$resh" batch > "$work/consumed.ndjson"
end=$(date +%s%N)
pub_ms=$(( (mid - start) / 1000000 )); con_ms=$(( (end - mid) / 1000000 ))

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && break; sleep 0.05; done; }

# One server backend: the batches pointed at mq://127.0.0.1:PORT/bench (with backend=BACKEND when given), the queue made
# first, then one publish batch and one consume batch timed; sets NAME_pub_ms and NAME_con_ms.
time_server() {
  local name=$1 port=$2 backend=${3:-} start mid end
  local edit="s|mq:///bench|mq://127.0.0.1:$port/bench|" create=()
  if [[ -n "$backend" ]]; then edit="$edit; s|\"args\": {|\"args\": {\"backend\": \"$backend\", |"; create=("backend=$backend"); fi
  sed "$edit" "$work/publish.ndjson" > "$work/$name-publish.ndjson"
  sed "$edit" "$work/consume.ndjson" > "$work/$name-consume.ndjson"
  "$resh" "mq://127.0.0.1:$port/bench.create" "${create[@]}" >/dev/null
  start=$(date +%s%N)
  "$resh" batch < "$work/$name-publish.ndjson" > "$work/$name-published.ndjson"
  mid=$(date +%s%N)
  "$resh" batch < "$work/$name-consume.ndjson" > "$work/$name-consumed.ndjson"
  end=$(date +%s%N)
  printf -v "${name}_pub_ms" '%d' $(( (mid - start) / 1000000 ))
  printf -v "${name}_con_ms" '%d' $(( (end - mid) / 1000000 ))
}

nats_pub_ms=0; nats_con_ms=0
if command -v nats-server >/dev/null; then
  port=$(free_port)
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/js" -l "$work/nats.log" >/dev/null 2>&1 &
  nats_pid=$!
  wait_port "$port"
  time_server nats "$port"
fi

redis_pub_ms=0; redis_con_ms=0
if command -v redis-server >/dev/null; then
  port=$(free_port)
  mkdir "$work/redis"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$work/redis" --logfile "$work/redis.log" >/dev/null 2>&1 &
  redis_pid=$!
  wait_port "$port"
  time_server redis "$port" redis
fi

mqtt_pub_ms=0; mqtt_con_ms=0
if command -v mosquitto >/dev/null; then
  port=$(free_port)
  chmod 711 "$work" # mosquitto, started as root, drops to the user mosquitto, which must reach its files
  "$root/tests/setup/mosquitto.sh" up "$work/mqtt" "$port" >&2
  time_server mqtt "$port" mqtt
fi

/usr/bin/python3 - "$work" "$n" "$pub_ms" "$con_ms" "$fsyncs" "$nats_pub_ms" "$nats_con_ms" "$redis_pub_ms" "$redis_con_ms" "$mqtt_pub_ms" "$mqtt_con_ms" <<'PY'
import json, os, sys
d, n, pub_ms, con_ms, fsyncs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
nats_pub_ms, nats_con_ms = int(sys.argv[6]), int(sys.argv[7])
redis_pub_ms, redis_con_ms = int(sys.argv[8]), int(sys.argv[9])
mqtt_pub_ms, mqtt_con_ms = int(sys.argv[10]), int(sys.argv[11])
ok = sum(1 for l in open(f"{d}/published.ndjson") if json.loads(l)["ok"])
got = sum(len(json.loads(l)["result"]["messages"]) for l in open(f"{d}/consumed.ndjson") if json.loads(l)["ok"])
print("| measurement | messages | wall | rate |")
print("|---|---|---|---|")
print(f"| publish, one resh batch, durable (fsync before each answer; fsyncs: {fsyncs}) | {ok}/{n} ok | {pub_ms} ms | {ok / (pub_ms / 1000):,.0f}/s |")
print(f"| consume count=100 (auto ack), one resh batch | {got} | {con_ms} ms | {got / (con_ms / 1000):,.0f}/s |")
if nats_pub_ms:
    ok = sum(1 for l in open(f"{d}/nats-published.ndjson") if json.loads(l)["ok"])
    got = sum(len(json.loads(l)["result"]["messages"]) for l in open(f"{d}/nats-consumed.ndjson") if json.loads(l)["ok"])
    print(f"| NATS JetStream publish, one resh batch (answer after the server's ack; acks awaited together) | {ok}/{n} ok | {nats_pub_ms} ms | {ok / (nats_pub_ms / 1000):,.0f}/s |")
    print(f"| NATS consume count=100 (auto ack, double ack each), one resh batch | {got} | {nats_con_ms} ms | {got / (nats_con_ms / 1000):,.0f}/s |")
else:
    print("| NATS JetStream | skipped: no nats-server | | |")
if redis_pub_ms:
    ok = sum(1 for l in open(f"{d}/redis-published.ndjson") if json.loads(l)["ok"])
    got = sum(len(json.loads(l)["result"]["messages"]) for l in open(f"{d}/redis-consumed.ndjson") if json.loads(l)["ok"])
    print(f"| Redis Streams publish, one resh batch (answer after XADD's reply; XADDs pipelined) | {ok}/{n} ok | {redis_pub_ms} ms | {ok / (redis_pub_ms / 1000):,.0f}/s |")
    print(f"| Redis consume count=100 (auto ack: NOACK + XDEL), one resh batch | {got} | {redis_con_ms} ms | {got / (redis_con_ms / 1000):,.0f}/s |")
else:
    print("| Redis Streams | skipped: no redis-server | | |")
if mqtt_pub_ms:
    ok = sum(1 for l in open(f"{d}/mqtt-published.ndjson") if json.loads(l)["ok"] and json.loads(l)["result"]["durable"])
    got = sum(len(json.loads(l)["result"]["messages"]) for l in open(f"{d}/mqtt-consumed.ndjson") if json.loads(l)["ok"])
    print(f"| MQTT (mosquitto) publish QoS 1, one resh batch (answer after each PUBACK) | {ok}/{n} durable | {mqtt_pub_ms} ms | {ok / (mqtt_pub_ms / 1000):,.0f}/s |")
    print(f"| MQTT consume count=100 (persistent session, PUBACK each), one resh batch | {got} | {mqtt_con_ms} ms | {got / (mqtt_con_ms / 1000):,.0f}/s |")
else:
    print("| MQTT | skipped: no mosquitto | | |")
print(f"\nload average: {os.getloadavg()[0]:.1f}")
PY
