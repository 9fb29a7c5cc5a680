#!/usr/bin/env bash
# Configures (once) and builds ringmq in ./build as a release build. Extra arguments go to
# `meson setup`, e.g. -Db_sanitize=address,undefined -Dmimalloc=false.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release "$@" >/dev/null
fi
ninja -C build
