// The broker: opens the listeners, starts one pinned thread per shard, waits for SIGINT/SIGTERM and
// stops the shards cleanly.
// Thread ownership: created and run by the main thread; owns the shards, the mesh and shared state.
#pragma once

#include "absl/status/status.h"
#include "net/broker_config.h"

namespace ringmq {

// Runs until SIGINT or SIGTERM. Returns an error when start-up fails (e.g. a port in use).
absl::Status RunBroker(BrokerConfig config);

}  // namespace ringmq
