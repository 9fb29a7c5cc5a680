#!/usr/bin/env bash
# Set-up command 2: install what is missing, build, and run every test: the GoogleTest units (through
# meson test), the integration suite, which drives the real broker binary with real clients, and the
# libFuzzer targets (tools/fuzz.sh, RINGMQ_FUZZ_SECONDS each, default 60, 0 skips).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test || exit 1
tools/build.sh || exit 1
if [[ -f tests/integration/package.json ]]; then
  (cd tests/integration && npm install --no-audit --no-fund --silent) || exit 1
fi

meson test -C build --print-errorlogs --num-processes 2 2>&1 | tee build/unit-tests.log
unit_status=${PIPESTATUS[0]}
unit_passed=$(grep -oP '^Ok:\s+\K[0-9]+' build/unit-tests.log || echo 0)
unit_failed=$(( $(grep -oP '^Fail:\s+\K[0-9]+' build/unit-tests.log || echo 0) + \
               $(grep -oP '^Timeout:\s+\K[0-9]+' build/unit-tests.log || echo 0) ))

RINGMQ_BIN="$PWD/build/net/ringmq" /usr/bin/python3 -m pytest tests/integration tests/bench -q -p no:cacheprovider \
  2>&1 | tee build/integration-tests.log
integration_status=${PIPESTATUS[0]}
integration_passed=$(tail -1 build/integration-tests.log | grep -oP '[0-9]+(?= passed)' || true)
integration_failed=0
for n in $(tail -1 build/integration-tests.log | grep -oP '[0-9]+(?= (failed|errors?))'); do
  integration_failed=$(( integration_failed + n ))
done

# Fuzzing: every libFuzzer target for RINGMQ_FUZZ_SECONDS (default 60, 0 skips), two at a time; each
# target counts as one test. A fuzz build that fails counts as one failure.
fuzz_seconds=${RINGMQ_FUZZ_SECONDS:-60}
fuzz_passed=0
fuzz_failed=0
fuzz_status=0
if [[ "$fuzz_seconds" != 0 ]]; then
  tools/fuzz.sh "$fuzz_seconds" 2>&1 | tee build/fuzz.log
  fuzz_status=${PIPESTATUS[0]}
  fuzz_passed=$(grep -cE '^fuzz [^ ]+: ok ' build/fuzz.log)
  fuzz_failed=$(grep -E '^fuzz [^ ]+: ' build/fuzz.log | grep -cvE '^fuzz [^ ]+: ok ')
  if (( fuzz_status != 0 && fuzz_failed == 0 )); then fuzz_failed=1; fi
fi

passed=$(( unit_passed + ${integration_passed:-0} + fuzz_passed ))
failed=$(( unit_failed + ${integration_failed:-0} + fuzz_failed ))
echo "unit test programs: ${unit_passed} passed, ${unit_failed} failed; integration: ${integration_passed:-0} passed, ${integration_failed:-0} failed; fuzz targets: ${fuzz_passed} passed, ${fuzz_failed} failed"
echo "${passed} passed, ${failed} failed"
if (( unit_status != 0 || integration_status != 0 || fuzz_status != 0 )); then exit 1; fi
