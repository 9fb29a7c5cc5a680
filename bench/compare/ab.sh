#!/usr/bin/env bash
# Two ringmq builds side by side (a change's cost): the plain-TCP rows of bench/compare/run.sh run
# against build A and build B, alternating A, B, A, B ... within each row, one fresh broker per run,
# with the same ringmq-bench binary (the one of build B). Reports per row the best and the median of
# each build and the ratio B/A of the medians, as delivered messages per broker CPU-second (the figure
# that stays meaningful when the generator shares the machine) and as delivered messages per second.
#
#   bash bench/compare/ab.sh BUILD_DIR_A BUILD_DIR_B [--rounds N] [--duration S] [--threads N]
#
# Rows: pairs 100 QoS 0 / 1 / 2 64 B (window 100), fan-in 100 -> 1 QoS 0 (window 100), fan-out
# 1 -> 1000 QoS 0, and the connect storm (10 000 connections, 64 in flight per generator thread).
# Defaults: --rounds 3 (runs per build and row), --duration 5, --threads 1 (generator threads).
# Both brokers get --shards 2 and the limits of run.sh; the ports are ephemeral, never 1883.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
(($# >= 2)) || { usage >&2; exit 1; }
build_a=$1 build_b=$2
shift 2
rounds=3 duration=5 threads=1
while (($# > 0)); do
  case $1 in
    --rounds) rounds=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --threads) threads=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "ab.sh: unknown argument: $1" >&2; exit 1 ;;
  esac
  shift
done
for dir in "$build_a" "$build_b"; do
  [[ -x $dir/net/ringmq ]] || { echo "ab.sh: no $dir/net/ringmq" >&2; exit 1; }
done
bench=$build_b/tools/ringmq-bench
[[ -x $bench ]] || { echo "ab.sh: no $bench" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_row NAME BENCH_ARGS...: one run per build per round, alternating; JSON lines to $work/NAME.{a,b}
run_row() {
  local name=$1
  shift
  for ((round = 0; round < rounds; ++round)); do
    for side in a b; do
      local dir=$build_a
      [[ $side == b ]] && dir=$build_b
      local port
      port=$(free_port)
      "$dir/net/ringmq" --listen "127.0.0.1:$port" --shards 2 --max_inflight 256 \
        --max_queued_messages 1000 --max_queued_bytes 1048576 --max_connections 100000 \
        --log_level warning >"$work/broker.log" 2>&1 &
      local pid=$!
      for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
        sleep 0.1
      done
      "$bench" --port "$port" --threads "$threads" --broker_pid "$pid" --duration "$duration" "$@" \
        2>/dev/null | grep '^{' >>"$work/$name.$side" || echo "ab.sh: $name run failed on $side" >&2
      kill "$pid"
      wait "$pid" 2>/dev/null || true
    done
  done
}

run_row pairs_qos0 --scenario pairs --clients 100 --qos 0 --size 64 --e2e_window 100
run_row pairs_qos1 --scenario pairs --clients 100 --qos 1 --size 64 --e2e_window 100 --inflight 64
run_row pairs_qos2 --scenario pairs --clients 100 --qos 2 --size 64 --e2e_window 100 --inflight 64
run_row fanin_100 --scenario fanin --clients 100 --qos 0 --size 64 --e2e_window 100
run_row fanout_1000 --scenario fanout --clients 1000 --qos 0 --size 64
run_row connect_storm --scenario conn --clients 10000 --duration 2 --warmup 0 --drain 0 --connect_timeout 60 \
  --connect_concurrency 64

/usr/bin/python3 - "$work" "$build_a" "$build_b" "$rounds" <<'PY'
import json, statistics, sys, pathlib
work, a, b, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def figures(path, key):
    values = []
    if pathlib.Path(path).exists():
        for line in open(path):
            value = json.loads(line).get(key)
            if value: values.append(float(value))
    return values
print(f"A = {a}, B = {b}, {rounds} runs per build and row, alternating")
print("| row | figure | A median | B median | B/A | A best | B best |")
print("|---|---|---|---|---|---|---|")
rows = ["pairs_qos0", "pairs_qos1", "pairs_qos2", "fanin_100", "fanout_1000", "connect_storm"]
for row in rows:
    keys = ["connects_per_broker_cpu_s", "connects_per_s"] if row == "connect_storm" else ["msgs_per_broker_cpu_s", "received_per_s"]
    for key in keys:
        fa, fb = figures(f"{work}/{row}.a", key), figures(f"{work}/{row}.b", key)
        if not fa or not fb:
            print(f"| {row} | {key} | - | - | - | - | - |")
            continue
        ma, mb = statistics.median(fa), statistics.median(fb)
        print(f"| {row} | {key} | {ma:,.0f} | {mb:,.0f} | {mb / ma:.3f} | {max(fa):,.0f} | {max(fb):,.0f} |")
PY
