#!/usr/bin/env bash
# ringmq vs mosquitto side by side: builds ringmq and ringmq-bench, installs Debian's mosquitto if it
# is missing, then runs the same ringmq-bench scenarios against both brokers on 127.0.0.1, one fresh
# broker per run, alternating brokers within each scenario (ringmq, mosquitto, ringmq, mosquitto),
# and writes the comparison table plus the raw JSON lines to bench/compare/results/<date>-<host>.md.
#
#   bash bench/compare/run.sh            full mode (12 to 18 minutes on 2 cores)
#   bash bench/compare/run.sh --quick    smoke test: short runs, few clients (2 to 3 minutes)
#   bash bench/compare/run.sh --access   only the access-control rows (about 5 minutes; with --quick, under 1)
#   bash bench/compare/run.sh --transports  only the TLS / WebSocket rows (about 5 minutes; --quick: under 1.5)
#
# --access: QoS 0 pairs 64 B sustainable rate open (no files) and with a password file plus a 100-rule
# ACL (users, %u/%c patterns, denies, $ rules; it grants the benchmark's topics through a %u pattern),
# and connects per broker CPU-second open and with the password file (PBKDF2-SHA512, 1000 iterations),
# a distinct user per connection or one user for all. Both brokers get the same two files
# (ringmq: --password_file --acl_file --allow_anonymous=false; mosquitto: password_file, acl_file,
# allow_anonymous false); rows alternate brokers and open/ACL within each repetition.
# --transports: openssl makes a CA and a server certificate for 127.0.0.1 in the temp dir; every run
# starts its broker with a plain listener plus the listener of the row's transport (ringmq: --listen
# mqtts:// | ws://.../mqtt | wss://.../mqtt with --tls_cert_file/--tls_key_file; mosquitto: listener
# with certfile/keyfile and/or protocol websockets). Rows: QoS 0 pairs 64 B over TCP, TLS, WebSocket and
# WebSocket over TLS; TLS connects (full handshakes, then resumed ones) with RSS per idle TLS connection;
# the plain-TCP connect storm (64 connects in flight per generator thread), with --threads generator
# threads and again with twice as many (one generator thread on 2 cores is the ceiling itself: it is
# runnable all the time against ringmq, so that row compares the generator more than the brokers).
# A broker that refuses the listener URL gets "not available" in its cells instead of aborting the run.
# --tls_key ec|rsa: the certificates' key (default ec: EC P-256; rsa: RSA 2048, what most fleet PKIs
# still issue, and the key that makes a full handshake expensive enough for resumption to pay).
# Options: --build-dir DIR (default build, or $RINGMQ_BUILD_DIR), --reps N (runs per broker and
# scenario, default 2, 3 with --access; the best one is reported), --threads N (load-generator
# threads, default 1), --window W (end-to-end window per publisher in the pairs and fan-out rows,
# default 100), --help. Both brokers get the same limits and never port 1883.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }

invocation="bash bench/compare/run.sh${*:+ $*}"
mode=full
access=0  # 1: only the access-control rows
transports=0  # 1: only the TLS / WebSocket rows
build_dir=${RINGMQ_BUILD_DIR:-build}
reps=""
threads=1
pairs_window=100  # e2e window per publisher in pairs and fan-out
tls_key=ec
while (($# > 0)); do
  case $1 in
    --quick) mode=quick ;;
    --access) access=1 ;;
    --transports) transports=1 ;;
    --build-dir) build_dir=${2:?--build-dir needs a value}; shift ;;
    --build-dir=*) build_dir=${1#*=} ;;
    --reps) reps=${2:?--reps needs a value}; shift ;;
    --reps=*) reps=${1#*=} ;;
    --threads) threads=${2:?--threads needs a value}; shift ;;
    --threads=*) threads=${1#*=} ;;
    --window) pairs_window=${2:?--window needs a value}; shift ;;
    --window=*) pairs_window=${1#*=} ;;
    --tls_key) tls_key=${2:?--tls_key needs a value}; shift ;;
    --tls_key=*) tls_key=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 1 ;;
  esac
  shift
done
[[ $tls_key == ec || $tls_key == rsa ]] || { echo "run.sh: --tls_key must be ec or rsa" >&2; exit 1; }

# ------------------------------------------------------------------------------------------------
# Settings. The limits are given to both brokers; the scenario sizes follow the mode.

max_inflight=256
max_queued_messages=1000
max_queued_bytes=1048576
max_packet_size=1048576
max_connections=100000

# Descriptors: the broker and ringmq-bench each hold one side of every connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_headroom=256
open_files=$(ulimit -n)
if [[ $open_files == unlimited ]] || ((open_files >= 20000 + fd_headroom)); then
  idle_connections=20000
elif ((open_files >= 10000 + fd_headroom)); then
  idle_connections=10000
else
  idle_connections=$((open_files - fd_headroom))
fi

if [[ $mode == full ]]; then
  duration=8 warmup=1.5 drain=3 connect_timeout=30
  pairs=100 fan=1000 conn_hold=3
  reps=${reps:-$((access ? 3 : 2))}
  transports_duration=4 tls_connections=5000 storm_connections=10000
  bounded_windows=(100 50 20 10 5 2)
  access_users=3000
else
  duration=1.5 warmup=0.5 drain=2 connect_timeout=15
  pairs=10 fan=50 conn_hold=1
  idle_connections=$((idle_connections < 500 ? idle_connections : 500))
  reps=${reps:-1}
  bounded_windows=(100 5)
  access_users=300
  transports_duration=1.5 tls_connections=500 storm_connections=1000
fi
fanin_window=10   # fan-in: 1000 publishers x 10 = 10 000 undelivered messages at most
fanin_few=$((fan / 10))  # fan-in 100 -> 1 with 100 undelivered per publisher: the issue's FlashMQ shape

bench_common=(--duration "$duration" --warmup "$warmup" --drain "$drain" --connect_timeout "$connect_timeout"
  --threads "$threads")
run_time_limit=$(python3 -c "import math; print(math.ceil($connect_timeout + $warmup + $duration + $drain + 20))")

# ------------------------------------------------------------------------------------------------
# Build and install.

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

prepare() {
  tools/install-deps.sh
  if [[ ! -x /usr/sbin/mosquitto ]]; then
    echo "installing mosquitto (Debian package)" >&2
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends mosquitto
    # The package's own service must not hold port 1883 (nor anything else) during the comparison.
    "${sudo_cmd[@]}" systemctl disable --now mosquitto 2>/dev/null || true
    "${sudo_cmd[@]}" service mosquitto stop 2>/dev/null || true
  fi
  # As tools/build.sh (release build), but only the two binaries needed here, two jobs at most.
  if [[ ! -f $build_dir/build.ninja ]]; then
    meson setup "$build_dir" --buildtype=release >/dev/null
  fi
  ninja -C "$build_dir" -j2 net/ringmq tools/ringmq-bench tools/passwd/ringmq-passwd
}

prepare
ringmq_bin=$build_dir/net/ringmq
bench_bin=$build_dir/tools/ringmq-bench
passwd_bin=$build_dir/tools/passwd/ringmq-passwd
report=(/usr/bin/python3 "$repo/bench/compare/compare_report.py")

work=$(mktemp -d /tmp/ringmq-compare.XXXXXX)
runs_file=$work/runs.jsonl
: >"$runs_file"
broker_pid=""
broker_port=""

# ------------------------------------------------------------------------------------------------
# Brokers: one at a time, started fresh for every run so RSS figures belong to that run only.

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_broker() {
  [[ -n $broker_pid ]] || return 0
  kill -TERM "$broker_pid" 2>/dev/null || true
  local tries
  for ((tries = 0; tries < 100; ++tries)); do
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

cleanup() {
  stop_broker
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (at most 10 s) until the broker listens on $broker_port. A broker that exits at start-up ends
# the comparison, except for a TLS/WebSocket listener (--transports): that row is "not available".
wait_for_listener() {
  local name=$1 tries
  for ((tries = 0; tries < 200; ++tries)); do
    if ! kill -0 "$broker_pid" 2>/dev/null; then
      wait "$broker_pid" 2>/dev/null || true
      broker_pid=""
      if [[ $broker_transport != tcp ]]; then
        broker_refusal=$(grep -m1 -iE 'error|invalid|unknown|unsupported|refus|cannot' "$work/broker.log" ||
          head -n 1 "$work/broker.log")
        return 1
      fi
      echo "run.sh: $name exited at start-up:" >&2
      cat "$work/broker.log" >&2
      exit 1
    fi
    if [[ -n $(ss -Hltn "sport = :$broker_port" 2>/dev/null) ]]; then return 0; fi
    sleep 0.05
  done
  echo "run.sh: $name is not listening on 127.0.0.1:$broker_port after 10 s" >&2
  exit 1
}

# run_one sets broker_access=on for the rows with the password file and the ACL (--access mode), and
# broker_transport to the listener the row's clients use (--transports mode: tls, ws or wss).
broker_access=off
broker_transport=tcp
broker_refusal=""
tls_dir=$work/tls

# A CA and a server certificate for 127.0.0.1 (--tls_key: EC P-256 or RSA 2048), made once.
make_certificates() {
  local key_args=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
  [[ $tls_key == rsa ]] && key_args=(-newkey rsa:2048)
  mkdir -p "$tls_dir"
  (
    cd "$tls_dir"
    openssl req -x509 "${key_args[@]}" -nodes -days 2 -subj "/CN=ringmq bench CA" -keyout ca.key -out ca.pem
    openssl req "${key_args[@]}" -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
      -out server.pem
  ) >/dev/null 2>&1
}

# ringmq's --listen value for a transport on a port.
ringmq_listen_url() {
  case $1 in
    tcp) echo "127.0.0.1:$2" ;;
    tls) echo "mqtts://127.0.0.1:$2" ;;
    ws) echo "ws://127.0.0.1:$2/mqtt" ;;
    wss) echo "wss://127.0.0.1:$2/mqtt" ;;
  esac
}

start_ringmq() {
  broker_port=$(free_port)
  local access_args=() listen_args=(--listen "127.0.0.1:$broker_port")
  if [[ $broker_access == on ]]; then
    access_args=(--password_file="$access_dir/passwd" --acl_file="$access_dir/acl" --allow_anonymous=false)
  fi
  if [[ $broker_transport != tcp ]]; then
    # The plain listener stays (as an operator's would); the row's clients use the other one.
    broker_port=$(free_port)
    listen_args+=(--listen "$(ringmq_listen_url "$broker_transport" "$broker_port")")
    if [[ $broker_transport == tls || $broker_transport == wss ]]; then
      listen_args+=(--tls_cert_file "$tls_dir/server.pem" --tls_key_file "$tls_dir/server.key")
    fi
  fi
  "$ringmq_bin" "${listen_args[@]}" --log_level=error --sys_interval=0 \
    --max_inflight=$max_inflight --max_queued_messages=$max_queued_messages \
    --max_queued_bytes=$max_queued_bytes --max_packet_size=$max_packet_size \
    --max_connections=$max_connections "${access_args[@]}" >"$work/broker.log" 2>&1 &
  broker_pid=$!
  wait_for_listener ringmq
}

# mosquitto's lines for the row's listener (after the plain one in the config).
mosquitto_transport_listener() {
  [[ $broker_transport != tcp ]] || return 0
  broker_port=$(free_port)
  echo "listener $broker_port 127.0.0.1"
  if [[ $broker_transport == ws || $broker_transport == wss ]]; then echo "protocol websockets"; fi
  if [[ $broker_transport == tls || $broker_transport == wss ]]; then
    printf 'certfile %s\nkeyfile %s\n' "$tls_dir/server.pem" "$tls_dir/server.key"
  fi
}

start_mosquitto() {
  broker_port=$(free_port)
  local anonymous=true
  if [[ $broker_access == on ]]; then anonymous=false; fi
  cat >"$work/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous $anonymous
persistence false
log_dest none
sys_interval 0
user $(id -un)
set_tcp_nodelay true
max_inflight_messages $max_inflight
max_queued_messages $max_queued_messages
max_queued_bytes $max_queued_bytes
max_packet_size $max_packet_size
listener $broker_port 127.0.0.1
max_connections $max_connections
EOF
  mosquitto_transport_listener >>"$work/mosquitto.conf"
  if [[ $broker_access == on ]]; then
    printf 'password_file %s\nacl_file %s\n' "$access_dir/passwd" "$access_dir/acl" >>"$work/mosquitto.conf"
  fi
  /usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1 &
  broker_pid=$!
  wait_for_listener mosquitto
}

peak_rss_kb() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# ------------------------------------------------------------------------------------------------
# Runs.

run_number=0
total_runs=0

# run_one SECTION CASE TITLE BROKER REP [--access on|off] [--transport tls|ws|wss] [--baseline CASE]
#         [--offered RATE] -- BENCH_ARGS...
run_one() {
  local section=$1 case=$2 title=$3 broker=$4 rep=$5
  shift 5
  local extra=() broker_access=off broker_transport=tcp
  while [[ $1 != -- ]]; do
    case $1 in
      --access) broker_access=$2 ;;
      --transport) broker_transport=$2 ;;
      --baseline) extra+=(--baseline "$2") ;;
      --offered) extra+=(--offered-per-s "$2") ;;
      --window) extra+=(--window "$2") ;;
    esac
    shift 2
  done
  shift
  local bench_args=("$@")
  run_number=$((run_number + 1))
  if [[ $broker_transport != tcp ]]; then
    bench_args+=(--transport "$broker_transport")
    if [[ $broker_transport == tls || $broker_transport == wss ]]; then bench_args+=(--tls_ca_file "$tls_dir/ca.pem"); fi
  fi
  local status=0 peak=""
  if "start_$broker"; then
    timeout --kill-after=5 "$run_time_limit" "$bench_bin" --host 127.0.0.1 --port "$broker_port" \
      --broker_pid "$broker_pid" --progress=false "${bench_args[@]}" >"$work/bench.out" 2>"$work/bench.err" ||
      status=$?
    peak=$(peak_rss_kb "$broker_pid")
    stop_broker
  else
    # The broker refused the listener (e.g. a build without TLS or WebSocket listeners).
    status=125
    : >"$work/bench.out"
    echo "$broker refused the $broker_transport listener: $broker_refusal" >"$work/bench.err"
    extra+=(--unavailable "$broker refused the $broker_transport listener: $broker_refusal")
  fi
  "${report[@]}" record --out "$runs_file" --section "$section" --case "$case" --title "$title" \
    --broker "$broker" --rep "$rep" --exit "$status" --peak-rss-kb "${peak:-0}" \
    --command-line "ringmq-bench ${bench_args[*]}" "${extra[@]}" <"$work/bench.out"
  local summary
  summary=$(tail -n 1 "$runs_file" | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("received %.0f msg/s, %.0f connects/s, p99 %.1f ms, lost %d" % (r.get("received_per_s", 0),
      r.get("connects_per_s", 0), r.get("p99_us", 0) / 1000, r.get("lost", 0)) if "sent" in r else r["error"])')
  printf '[%2d/%d] %-22s %-9s rep %d: %s%s\n' "$run_number" "$total_runs" "$case" "$broker" "$rep" "$summary" \
    "$( ((status == 0)) || echo " (exit $status)")" >&2
  if ((status != 0)); then sed -n '1,5p' "$work/bench.err" | sed 's/^/    /' >&2; fi
}

# compare SECTION CASE TITLE [record options] -- BENCH_ARGS...: every repetition on both brokers.
compare() {
  local rep broker
  for ((rep = 1; rep <= reps; ++rep)); do
    for broker in ringmq mosquitto; do
      run_one "$1" "$2" "$3" "$broker" "$rep" "${@:4}"
    done
  done
}

# bounded CASE TITLE -- BENCH_ARGS: on each broker, end-to-end windows from large to small until a run
# is lossless with p99 within the bound; the table shows the highest such rate. Small windows leave
# the broker idle between messages, large ones queue them: the bound picks the rate worth quoting.
bounded() {
  local case=$1 title=$2 broker window p99_ok
  shift 3
  for broker in ringmq mosquitto; do
    for window in "${bounded_windows[@]}"; do
      run_one bounded "$case" "$title" "$broker" 1 --window "$window" -- "$@" --e2e_window "$window"
      p99_ok=$(tail -n 1 "$runs_file" | /usr/bin/python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from compare_report import within_bound
r = json.loads(sys.stdin.read())
print(1 if "p99_us" in r and within_bound(r) else 0)' "$repo/bench/compare")
      if ((p99_ok)); then break; fi
    done
  done
}

# Half of mosquitto's sustainable total rate of CASE, spread over the pairs: per-publisher --rate.
half_mosquitto_rate() {
  local saturation
  saturation=$("${report[@]}" value "$runs_file" "$1" mosquitto received_per_s)
  /usr/bin/python3 -c "print(f'{$saturation / 2:.0f} {$saturation / 2 / $pairs:.3f}')"
}

qos0_64=(--scenario pairs --clients "$pairs" --size 64)

# The whole comparison: sustainable rates, latency-bounded rates, latency, overload, connections.
run_full_suite() {
  # Sustainable rates first: mosquitto's pairs figures set the offered load of the latency rows.
  for qos in 0 1; do
    for size in 64 1024; do
      label=$([[ $size == 64 ]] && echo "64 B" || echo "1 KiB")
      compare sustainable "pairs-q$qos-$size" "pairs $pairs, QoS $qos, $label" -- \
        --scenario pairs --clients "$pairs" --qos "$qos" --size "$size" --e2e_window $pairs_window "${bench_common[@]}"
    done
  done
  compare sustainable pairs-q2-64 "pairs $pairs, QoS 2, 64 B" -- \
    --scenario pairs --clients "$pairs" --qos 2 --size 64 --e2e_window $pairs_window "${bench_common[@]}"
  compare sustainable fanin-q0 "fan-in $fan → 1, QoS 0, 64 B" -- \
    --scenario fanin --clients "$fan" --qos 0 --size 64 --e2e_window $fanin_window "${bench_common[@]}"
  compare sustainable fanin-few-q0 "fan-in $fanin_few → 1, QoS 0, 64 B" -- \
    --scenario fanin --clients "$fanin_few" --qos 0 --size 64 --e2e_window 100 "${bench_common[@]}"
  compare sustainable fanout-q0 "fan-out 1 → $fan, QoS 0, 64 B" -- \
    --scenario fanout --clients "$fan" --qos 0 --size 64 --e2e_window $pairs_window "${bench_common[@]}"

  for qos in 0 1 2; do
    bounded "bounded-pairs-q$qos" "pairs $pairs, QoS $qos, 64 B" -- \
      --scenario pairs --clients "$pairs" --qos "$qos" --size 64 "${bench_common[@]}"
  done
  bounded bounded-fanin-few-q0 "fan-in $fanin_few → 1, QoS 0, 64 B" -- \
    --scenario fanin --clients "$fanin_few" --qos 0 --size 64 "${bench_common[@]}"

  for qos in 0 1; do
    offered="" per_publisher=""
    read -r offered per_publisher < <(half_mosquitto_rate "pairs-q$qos-64") || true
    if [[ -z $per_publisher ]]; then
      echo "run.sh: no mosquitto saturation rate for pairs-q$qos-64: latency row skipped" >&2
      run_number=$((run_number + 2 * reps))
      continue
    fi
    compare latency "latency-q$qos-64" "pairs $pairs, QoS $qos, 64 B" --offered "$offered" -- \
      "${qos0_64[@]}" --qos "$qos" --rate "$per_publisher" "${bench_common[@]}"
  done

  compare overload overload-pairs-q0 "pairs $pairs, QoS 0, 64 B" --baseline pairs-q0-64 -- \
    "${qos0_64[@]}" --qos 0 "${bench_common[@]}"
  compare overload overload-fanin-q0 "fan-in $fan → 1, QoS 0, 64 B" --baseline fanin-q0 -- \
    --scenario fanin --clients "$fan" --qos 0 --size 64 "${bench_common[@]}"

  compare connections "conn-$idle_connections" "$idle_connections idle connections" -- \
    --scenario conn --clients "$idle_connections" --duration "$conn_hold" --warmup 0 --drain 0 \
    --connect_timeout 60 --threads "$threads"
}

# ------------------------------------------------------------------------------------------------
# Access control (--access): the files both brokers get, then the rows.

access_dir=$work/access
# The pairs rows' user. The pairs topics are <topic root>/pairs/<k> with topic root rmqb, and the ACL
# grants them through the pattern %u/pairs/+, so every PUBLISH (and every delivery, where a broker
# checks those) is decided by a pattern with a substitution (the fleet shape: one pattern for every
# device), not by a plain topic line.
access_user=rmqb
access_password=rmqb-pairs-secret
access_iterations=1000  # mosquitto_passwd 2.0.11 -U always writes 101 (it has no -I): ringmq-passwd writes these

# 100 rules (topic and pattern lines): an anonymous section, patterns with %u and %c, denies, $ rules,
# 29 user sections of other tenants and the benchmark user's own section.
write_acl() {
  cat <<'EOF'
# Generated by bench/compare/run.sh --access. Topic lines before the first user line apply to
# anonymous clients; pattern lines apply to everyone (%u: username, %c: client id).
topic read public/#
topic deny public/private/#
topic read $SYS/broker/uptime
pattern readwrite devices/%u/#
pattern deny devices/%u/firmware/#
pattern read clients/%c/cmd/#
pattern write clients/%c/status
pattern read $SYS/broker/clients/%c/#
pattern deny %u/pairs/blocked
pattern readwrite %u/pairs/+
EOF
  local i
  for ((i = 0; i < 29; ++i)); do
    printf 'user site%d\ntopic readwrite site%d/#\ntopic deny site%d/locked/#\ntopic read $SYS/broker/load/#\n' \
      "$i" "$i" "$i"
  done
  printf 'user %s\ntopic readwrite %s/status/#\ntopic deny %s/admin/#\ntopic read $SYS/broker/load/#\n' \
    "$access_user" "$access_user" "$access_user"
}

# The password file: the pairs user plus u0..u<access_users - 1> (password pw-<n>) for the connect rows,
# hashed by ringmq-passwd -U ($7$, PBKDF2-SHA512, access_iterations), which mosquitto reads unchanged.
write_access_files() {
  mkdir -p "$access_dir"
  write_acl >"$access_dir/acl"
  local rules
  rules=$(grep -cE '^(topic|pattern) ' "$access_dir/acl")
  if ((rules != 100)); then
    echo "run.sh: the generated ACL has $rules rules, not 100" >&2
    exit 1
  fi
  {
    echo "$access_user:$access_password"
    local n
    for ((n = 0; n < access_users; ++n)); do echo "u$n:pw-$n"; done
  } >"$access_dir/passwd"
  "$passwd_bin" -I "$access_iterations" -U "$access_dir/passwd"
}

# Each repetition runs a broker's open and access-controlled rows back to back, so the ACL-on / ACL-off
# ratio compares runs seconds apart on a shared machine.
run_access_rows() {
  local pairs_args=(--scenario pairs --clients "$pairs" --qos 0 --size 64 --e2e_window "$pairs_window"
    "${bench_common[@]}")
  local conn_args=(--scenario conn --clients "$access_users" --duration "$conn_hold" --warmup 0 --drain 0
    --connect_timeout 60 --threads "$threads")
  local rep broker
  for ((rep = 1; rep <= reps; ++rep)); do
    for broker in ringmq mosquitto; do
      run_one access access-pairs-q0-open "pairs $pairs, QoS 0, 64 B, open" "$broker" "$rep" -- "${pairs_args[@]}"
      run_one access access-pairs-q0-acl "pairs $pairs, QoS 0, 64 B, password file + ACL" "$broker" "$rep" \
        --access on --baseline access-pairs-q0-open -- \
        "${pairs_args[@]}" --username "$access_user" --password "$access_password"
    done
    for broker in ringmq mosquitto; do
      run_one access access-conn-open "$access_users connects, open" "$broker" "$rep" -- "${conn_args[@]}"
      run_one access access-conn-users "$access_users connects, password file, a user each" "$broker" "$rep" \
        --access on -- "${conn_args[@]}" --username 'u{n}' --password 'pw-{n}'
      run_one access access-conn-same-user "$access_users connects, password file, one user" "$broker" "$rep" \
        --access on -- "${conn_args[@]}" --username u0 --password pw-0
    done
  done
}

# ------------------------------------------------------------------------------------------------
# Transports (--transports): TLS and WebSocket rows, and the plain-TCP connect storm.

tls_connections=$((tls_connections < idle_connections ? tls_connections : idle_connections))
storm_connections=$((storm_connections < idle_connections ? storm_connections : idle_connections))
storm_concurrency=64  # connects in flight per generator thread: the issue's connect-storm condition
# One generator thread opening plain-TCP connections costs about as much CPU per connect (socket(),
# the loopback handshake's kernel work) as either broker: measured on 2 cores it was runnable nearly
# all the time against ringmq and reached about the same rate against both brokers whenever the machine
# was quiet. With twice the threads the brokers, not the generator, set the rate.
storm_threads_wide=$((threads * 2))

# Each repetition runs the four pairs rows on one broker, then on the other, and the connect rows
# likewise, so a row's two brokers ran seconds apart on the shared machine.
run_transport_rows() {
  local pairs_args=(--scenario pairs --clients "$pairs" --qos 0 --size 64 --e2e_window "$pairs_window"
    --duration "$transports_duration" --warmup "$warmup" --drain "$drain" --connect_timeout "$connect_timeout"
    --threads "$threads")
  local tls_conn_args=(--scenario conn --clients "$tls_connections" --duration "$conn_hold" --warmup 0 --drain 0
    --connect_timeout 90 --threads "$threads")
  local conditions="$pairs pairs, QoS 0, 64 B, window $pairs_window, $threads generator thread(s)"
  local rep broker transport
  for ((rep = 1; rep <= reps; ++rep)); do
    for broker in ringmq mosquitto; do
      for transport in tcp tls ws wss; do
        run_one transports "pairs-q0-64-$transport" "$transport: $conditions" "$broker" "$rep" \
          --transport "$transport" --baseline pairs-q0-64-tcp -- "${pairs_args[@]}"
      done
    done
    for broker in ringmq mosquitto; do
      run_one transports tls-connect-full \
        "TLS, $tls_connections connections, full handshakes, 32 in flight per thread, $threads thread(s)" \
        "$broker" "$rep" --transport tls -- "${tls_conn_args[@]}" --tls_session_resumption=false
      run_one transports tls-connect-resumed \
        "TLS, $tls_connections connections, resuming the thread's newest ticket, 32 in flight per thread, $threads thread(s)" \
        "$broker" "$rep" --transport tls --baseline tls-connect-full -- "${tls_conn_args[@]}" \
        --tls_session_resumption=true
      run_one transports tcp-connect-storm \
        "plain TCP, $storm_connections connections, $storm_concurrency in flight per thread, $threads thread(s)" \
        "$broker" "$rep" -- --scenario conn --clients "$storm_connections" --duration "$conn_hold" --warmup 0 \
        --drain 0 --connect_timeout 60 --threads "$threads" --connect_concurrency "$storm_concurrency"
      run_one transports tcp-connect-storm-wide \
        "plain TCP, $storm_connections connections, $storm_concurrency in flight per thread, $storm_threads_wide thread(s)" \
        "$broker" "$rep" -- --scenario conn --clients "$storm_connections" --duration "$conn_hold" --warmup 0 \
        --drain 0 --connect_timeout 60 --threads "$storm_threads_wide" --connect_concurrency "$storm_concurrency"
    done
  done
}

if ((access)); then
  total_runs=$(((2 + 3) * 2 * reps))
  write_access_files
elif ((transports)); then
  total_runs=$(((4 + 4) * 2 * reps))
  make_certificates
  # What one core's crypto allows a server's full TLS 1.3 handshake with this certificate: one
  # signature (ECDSA P-256 or RSA 2048) and two X25519 operations (OpenSSL's first key-share group:
  # key generation and derivation).
  if [[ $tls_key == rsa ]]; then
    handshake_ceiling=$(openssl speed -seconds 1 rsa2048 ecdhx25519 2>/dev/null | awk '
      /^rsa 2048 bits/ { sign = $(NF - 1) } /ecdh \(X25519\)/ { ecdh = $NF }
      END { if (sign > 0 && ecdh > 0) printf "%.0f (RSA 2048 sign %.0f/s, X25519 %.0f/s)", 1 / (1 / sign + 2 / ecdh), sign, ecdh }') || handshake_ceiling=""
  else
    handshake_ceiling=$(openssl speed -seconds 1 ecdsap256 ecdhx25519 2>/dev/null | awk '
      /ecdsa \(nistp256\)/ { sign = $(NF - 1) } /ecdh \(X25519\)/ { ecdh = $NF }
      END { if (sign > 0 && ecdh > 0) printf "%.0f (ECDSA P-256 sign %.0f/s, X25519 %.0f/s)", 1 / (1 / sign + 2 / ecdh), sign, ecdh }') || handshake_ceiling=""
  fi
else
  bounded_rows=4
  # The bounded rows take between one and ${#bounded_windows[@]} runs each: counted at their most.
  total_runs=$(((8 + 2 + 2 + 1) * 2 * reps + bounded_rows * 2 * ${#bounded_windows[@]}))
fi
started_at=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run.sh: $mode mode, $total_runs runs, $reps per broker and scenario; results in bench/compare/results/" >&2
if ((access)); then run_access_rows; elif ((transports)); then run_transport_rows; else run_full_suite; fi

# ------------------------------------------------------------------------------------------------
# Report.

elapsed=$(($(date +%s) - started_at))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
suffix=""
if ((threads != 1)); then suffix+="-threads$threads"; fi
if ((pairs_window != 100)); then suffix+="-window$pairs_window"; fi
if ((access)); then suffix+="-access"; fi
if ((transports)); then suffix+="-transports"; fi
if [[ $tls_key == rsa ]]; then suffix+="-rsa"; fi
if [[ $mode == quick ]]; then suffix+="-quick"; fi  # a smoke test never overwrites a full run's file
mkdir -p bench/compare/results
result_file=bench/compare/results/$(date +%Y-%m-%d)-$(hostname -s)$suffix.md
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
# `mosquitto -h` exits with status 3 after printing its version.
mosquitto_version=$({ /usr/sbin/mosquitto -h 2>/dev/null || true; } | awk 'NR == 1 { print $3 }')
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain 2>/dev/null) ]]; then revision+=" + uncommitted changes"; fi

{
  echo "# ringmq vs mosquitto, $(date +%Y-%m-%d) on $(hostname -s) ($mode mode)"
  echo
  echo "- Command: \`$invocation\` ($elapsed s, $reps run(s) per broker and scenario, best one shown)"
  echo "- Machine: $(nproc) CPUs ($cpu_model), $memory RAM, Linux $(uname -r)"
  echo "- Shared machine: other developers were building and running tests on it at the same time" \
       "(load average $load_before before, $load_after after), so the figures carry that noise."
  echo "- ringmq $revision (release build, $(nproc) shards), mosquitto $mosquitto_version (Debian package)," \
       "each alone on 127.0.0.1, started fresh for every run, logging and \$SYS off, persistence off."
  echo "- Same limits for both: max in-flight $max_inflight, max queued messages $max_queued_messages," \
       "max queued bytes $max_queued_bytes, max packet size $max_packet_size, max connections $max_connections," \
       "TCP_NODELAY."
  echo "- Load generator: ringmq-bench, $threads thread(s), MQTT 3.1.1, on the same machine; runs of ${duration} s" \
       "after ${warmup} s of warm-up. \"msg/s\" counts messages received by subscribers; \"msg per broker" \
       "CPU-s\" divides them by the broker's user + system CPU time over the same interval. Ratios are" \
       "ringmq/mosquitto."
  if ((access)); then
    echo "- Access rows: a password file of $((access_users + 1)) users (\`\$7\$\` PBKDF2-SHA512, $access_iterations" \
         "iterations, written by ringmq-passwd -U) and the 100-rule ACL below; ringmq gets --password_file" \
         "--acl_file --allow_anonymous=false, mosquitto password_file, acl_file, allow_anonymous false." \
         "The ACL-on rows log in as \`$access_user\`, whose pairs topics the ACL grants through" \
         "\`pattern readwrite %u/pairs/+\`; in every repetition each broker ran its open row and its" \
         "ACL row back to back. \"connects per broker CPU-s\" divides the connections by the broker's CPU" \
         "time while they were opened (password hashing included)."
  fi
  if ((transports)); then
    echo "- Transport rows: both brokers get the same CA-signed $([[ $tls_key == rsa ]] && echo 'RSA 2048' || echo 'EC P-256') certificate for 127.0.0.1 (made by" \
         "openssl for this run); ringmq-bench verifies it (--tls_ca_file), TLS 1.3 as negotiated by OpenSSL" \
         "$(openssl version | awk '{ print $2 }'). Each broker also keeps a plain listener. RSS per idle TLS" \
         "connection: (broker RSS after the connections are up - before) / connections, from the full-handshake" \
         "row. WebSocket rows: one masked binary frame per generator flush (up to 64 KiB of MQTT packets)."
    echo "- One core's crypto ceiling for full handshakes (\`openssl speed\`, 1 sign + 2 ECDH per handshake):" \
         "${handshake_ceiling:-not measured} per second; compare the full-handshake connects per broker CPU-s."
  fi
  echo
  "${report[@]}" table "$runs_file"
  echo
  if ((access)); then
    echo "## ACL file given to both brokers"
    echo
    echo '```'
    cat "$access_dir/acl"
    echo '```'
    echo
  fi
  echo "## Raw runs (ringmq-bench JSON lines)"
  echo
  echo '```json'
  cat "$runs_file"
  echo '```'
} >"$result_file"

cat "$result_file"
echo >&2
echo "run.sh: wrote $result_file" >&2
