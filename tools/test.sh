#!/usr/bin/env bash
# Set-up command 2: install what is missing, build, and run every test: the GoogleTest units (through
# meson test) and the integration suite, which drives the real broker binary with real clients.
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

passed=$(( unit_passed + ${integration_passed:-0} ))
failed=$(( unit_failed + ${integration_failed:-0} ))
echo "unit test programs: ${unit_passed} passed, ${unit_failed} failed; integration: ${integration_passed:-0} passed, ${integration_failed:-0} failed"
echo "${passed} passed, ${failed} failed"
if (( unit_status != 0 || integration_status != 0 )); then exit 1; fi
