// Gauges a shard samples for the metrics endpoint and $SYS (net/broker_metrics.h): counts of its own
// structures, which no other thread may read, set once a tick rather than on every change; and the
// figures its durable store's writer thread keeps (net/persistence/commit_latency.h), copied here so
// that every exported counter is a ShardStats one.
#include "net/persistence/shard_store.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

void MqttProtocol::SampleStats() {
  stats_.sessions.Set(sessions_.size());
  stats_.input_paused_connections.Set(paused_.size());
  if (const ShardStore* store = DurableStore()) SamplePersistenceStats(store->stats());
}

void MqttProtocol::SamplePersistenceStats(const CommitStats& from) {
  stats_.persistence_commits.Set(from.commits.Get());
  stats_.persistence_records.Set(from.records.Get());
  stats_.persistence_bytes.Set(from.bytes.Get());
  stats_.persistence_compactions.Set(from.compactions.Get());
  stats_.persistence_log_bytes.Set(from.log_bytes.Get());
  stats_.persistence_recovery_dropped_bytes.Set(from.recovery_dropped_bytes.Get());
  // Ascending, the order the writer adds in (release/acquire): a commit seen in a bucket is then seen
  // in every higher bucket and in the count (+Inf), so a scrape never shows a bucket above the count.
  for (size_t i = 0; i < stats_.commit_latency_buckets.size(); ++i) {
    stats_.commit_latency_buckets[i].Set(from.latency_buckets[i].Get());
  }
  stats_.commit_latency_sum_ns.Set(from.latency_sum_ns.Get());
}

}  // namespace ringmq
