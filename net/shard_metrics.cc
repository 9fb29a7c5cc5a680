// Gauges a shard samples for the metrics endpoint and $SYS (net/broker_metrics.h): counts of its own
// structures, which no other thread may read, set once a tick rather than on every change.
#include "net/shard.h"

namespace ringmq {

void Shard::SampleStats() {
  stats_.sessions.Set(sessions_.size());
  stats_.connections.Set(connections_.size());
  stats_.input_paused_connections.Set(paused_.size());
}

}  // namespace ringmq
