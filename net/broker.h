// The broker: opens the listeners, starts one pinned thread per shard, waits for SIGINT/SIGTERM and
// stops the shards cleanly.
// Thread ownership: created and run by the main thread; owns the shards, the mesh and shared state.
#pragma once

#include "absl/status/status.h"
#include "net/broker_config.h"
#include "net/config_reload.h"

namespace ringmq {

// Runs until SIGINT or SIGTERM. Returns an error when start-up fails (e.g. a port in use). SIGHUP
// re-reads the TLS and access files, and the configuration through `source` (net/config_reload.h).
absl::Status RunBroker(BrokerConfig config, ConfigSource source = {});

}  // namespace ringmq
