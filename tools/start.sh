#!/usr/bin/env bash
# Set-up command 1: install what is missing, build, and start the broker on 0.0.0.0:1883 with default
# settings. Any arguments are passed to ringmq, e.g. tools/start.sh --shards=2 --log_level=debug.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
exec build/net/ringmq "$@"
