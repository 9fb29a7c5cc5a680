#!/usr/bin/env bash
# QoS 1 pairs between persistent sessions (clean session 0) with --persistence off, async and sync,
# one broker each, in one run; then disk bytes per queued message (an offline persistent subscriber,
# N QoS 1 messages queued for it, the log's growth divided by N).
#   bench/net/persistent_pairs.sh [build dir] [clients] [seconds] [shards]
set -euo pipefail
build=${1:-build}
clients=${2:-100}
seconds=${3:-5}
shards=${4:-2}
work=$(mktemp -d)
trap 'kill $broker_pid 2>/dev/null || true; rm -rf "$work"' EXIT

start_broker() {  # $1: persistence mode, then extra flags; sets broker_pid and port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/data"
  "$build/net/ringmq" --listen "127.0.0.1:$port" --shards "$shards" --data_dir "$work/data" \
    --persistence "$1" "${@:2}" --sys_interval 0 --log_level warning &
  broker_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "broker did not start" >&2
  exit 1
}

for mode in off async sync; do
  start_broker "$mode"
  rate=$("$build/tools/ringmq-bench" --port "$port" --scenario pairs --clients "$clients" --qos 1 --size 64 \
    --clean=false --duration "$seconds" --progress=false --expect_no_loss --broker_pid "$broker_pid" 2>&1 |
    tee "$work/$mode.txt" | grep -m1 -E '^ *(received|throughput)' || true)
  echo "== $mode: $rate"
  grep -E 'msg/s|lost|dropped' "$work/$mode.txt" | head -5
  kill "$broker_pid"; wait "$broker_pid" || true
done

# Disk bytes per queued message: 64 B payloads, 18-byte topics, queued for one offline session
# (its queue bound raised so that none is dropped).
start_broker sync --max_queued_messages 1000000 --max_queued_bytes 1073741824
count=20000
/usr/bin/python3 - "$port" "$count" "$work/data" <<'PY'
import os, sys, time
import paho.mqtt.client as mqtt
port, count, data = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def size():
    return sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.endswith(".log"))
sub = mqtt.Client(client_id="bytes-sub", clean_session=False)
sub.connect("127.0.0.1", port); sub.loop_start()
sub.subscribe("bench/bytes/queued", 1); time.sleep(0.5)
sub.disconnect(); sub.loop_stop(); time.sleep(0.5)
before = size()
pub = mqtt.Client(client_id="bytes-pub")
pub.connect("127.0.0.1", port); pub.loop_start()
infos = [pub.publish("bench/bytes/queued", b"x" * 64, qos=1) for _ in range(count)]
for info in infos: info.wait_for_publish(30)
pub.disconnect(); pub.loop_stop(); time.sleep(0.5)
after = size()
print(f"== disk: {(after - before) / count:.1f} bytes per queued message "
      f"({count} QoS 1 messages, 64 B payload, 18 B topic, client id 9 B)")
PY
