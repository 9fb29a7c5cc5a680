#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever ringmq needs to build (and, with --test, to run its
# tests) and is not yet installed. Safe to run again: it installs nothing when all is present.
set -euo pipefail

build_packages=(g++ meson ninja-build pkg-config liburing-dev libabsl-dev libmimalloc-dev
                libgtest-dev libgmock-dev libbenchmark-dev libssl-dev)
# clang-14 builds the libFuzzer targets (tools/fuzz.sh); libclang-rt-14-dev holds its fuzzer and
# sanitizer runtimes and is only a recommendation of clang-14, which --no-install-recommends skips.
# prometheus: tests/integration/test_metrics.py scrapes the broker with a real Prometheus server (and
# checks the exposition with its promtool). haproxy: tests/integration/test_proxy_protocol.py puts it
# in front of the broker with send-proxy / send-proxy-v2. chromium: test_websocket.py runs MQTT.js's browser bundle
# in it, headless, over the broker's ws:// listener. librocksdb-dev: the broker does not use it, but
# bench/net/durable_store_bench compares the persistence log with it when present (so the test build
# compiles that comparison too).
test_packages=(mosquitto mosquitto-clients python3-paho-mqtt python3-pytest clang-14 libfuzzer-14-dev libclang-rt-14-dev
               prometheus haproxy chromium librocksdb-dev)

wanted=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  wanted+=("${test_packages[@]}")
  # MQTT.js needs node and npm; a machine may already have them from elsewhere (whose nodejs bundles
  # npm and conflicts with Debian's npm package), so only a machine without them gets Debian's.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then wanted+=(nodejs npm); fi
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then exit 0; fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "installing: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
