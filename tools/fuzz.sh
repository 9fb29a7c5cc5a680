#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 in build-fuzz/ (a build of its own: core/
# instrumented, with AddressSanitizer and UndefinedBehaviorSanitizer), then fuzzes each target for
# SECONDS (default 60; 0 only replays the committed seeds) starting from a copy of its committed
# corpus, so tests/fuzz/corpus/ never grows. Prints one line per target - "fuzz NAME: ok (N runs)" or
# what crashed and where the input was kept (build-fuzz/crashes/) - and exits non-zero if any target
# crashed, timed out (-timeout=5 per input), ran out of memory (-rss_limit_mb=2048) or did not build.
#
# RINGMQ_FUZZ_JOBS targets run at a time (default 2, at most the number of CPUs), each on its own CPU,
# so SECONDS is fuzzing time a target really gets. Whole run: about ceil(targets / jobs) * SECONDS.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS]   (0: replay the committed corpus only)" >&2
  exit 2
fi
cpus=$(nproc)
parallel=${RINGMQ_FUZZ_JOBS:-2}
if ! [[ "$parallel" =~ ^[1-9][0-9]*$ ]]; then parallel=2; fi
if (( parallel > cpus )); then parallel=$cpus; fi

out=build-fuzz
if [[ ! -f $out/build.ninja ]]; then
  setup_log=$(mktemp)
  if ! CC=clang-14 CXX=clang++-14 meson setup $out -Dfuzz=true -Dmimalloc=false -Dtests=false \
      -Dbenchmarks=false >"$setup_log" 2>&1; then
    tail -20 "$setup_log" >&2
    rm -f "$setup_log"
    echo "fuzz build: failed (meson setup -Dfuzz=true, output above)"
    exit 1
  fi
  rm -f "$setup_log"
fi
# Two runs at once would share build-fuzz/corpus and build-fuzz/logs.
exec 9>$out/fuzz.lock
if ! flock -n 9; then
  echo "fuzz run: failed (another tools/fuzz.sh is using $out/)"
  exit 1
fi
if ! ninja -C $out >$out/build.log 2>&1; then
  tail -40 $out/build.log >&2
  echo "fuzz build: failed (see $out/build.log)"
  exit 1
fi

targets=()
for source in tests/fuzz/*_fuzzer.cc; do
  name=$(basename "$source" _fuzzer.cc)
  targets+=("$name")
done
rm -rf $out/results
mkdir -p $out/crashes $out/corpus $out/logs $out/results

# Fuzzes one target; writes its summary line to $out/results/NAME.
fuzz_target() {
  local name=$1 binary=$out/tests/fuzz/${1}_fuzzer log=$out/logs/$1.log result=$out/results/$1
  if [[ ! -x $binary ]]; then
    echo "fuzz $name: not built (add '$name' to fuzz_targets in tests/fuzz/meson.build)" >"$result"
    return
  fi
  rm -rf "$out/corpus/$name"
  mkdir -p "$out/corpus/$name"
  if [[ -d tests/fuzz/corpus/$name ]]; then cp -r "tests/fuzz/corpus/$name/." "$out/corpus/$name/"; fi
  local budget=(-max_total_time="$seconds")
  if (( seconds == 0 )); then budget=(-runs=0); fi
  local dictionary=()
  if [[ $name == mqtt* ]]; then dictionary=(-dict=tests/fuzz/mqtt.dict); fi
  # The outer timeout only guards against a fuzzer that stops honouring its own time limit.
  UBSAN_OPTIONS=print_stacktrace=1 timeout --kill-after=10 $(( seconds + 120 )) "$binary" "${budget[@]}" \
    "${dictionary[@]}" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
    "$out/corpus/$name" >"$log" 2>&1
  local status=$?
  local runs
  runs=$(grep -aoP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" | tail -1)
  if (( status == 0 )); then
    echo "fuzz $name: ok (${runs:-0} runs)" >"$result"
    return
  fi
  local what input
  what=$(grep -a -m1 -E 'FUZZ_CHECK failed|runtime error:|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY:' "$log")
  input=$(grep -aoP 'Test unit written to \K\S+' "$log" | tail -1)
  echo "fuzz $name: FAILED (exit $status: ${what:-see $log}) input: ${input:-none} log: $log" >"$result"
}

echo "fuzzing ${#targets[@]} targets for ${seconds} s each, ${parallel} at a time" >&2
for name in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n; done
  fuzz_target "$name" &
done
wait

failed=0
for name in "${targets[@]}"; do
  line=$(cat "$out/results/$name" 2>/dev/null || echo "fuzz $name: FAILED (no result)")
  echo "$line"
  [[ "$line" == "fuzz $name: ok "* ]] || failed=1
done
exit $failed
