// The broker's metrics, listed once: every counter the shards keep, with its Prometheus name, type,
// help and labels, and the $SYS topic that publishes its sum. The $SYS publisher (shard 0) and the
// Prometheus endpoint (net/metrics_server.h) both read this list, so they cannot drift apart.
//
// Thread ownership: the functions only read ShardStats and BrokerShared atomics (relaxed), so any
// thread may call them while the shards run; the list itself is immutable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/prometheus_text.h"
#include "net/shard_stats.h"

namespace ringmq {

// How a shard's counter appears in $SYS.
enum class SysAggregate : uint8_t {
  kNone,      // not published in $SYS
  kSum,       // the sum over shards (entries sharing a topic are summed together)
  kOwnShard,  // the publishing shard's value: replicas that converge (retained messages)
};

struct ShardMetric {
  std::string_view name;  // Prometheus family; exported once per shard with a `shard` label
  MetricType type;
  std::string_view help;
  std::string_view label_name;   // a label besides `shard` (qos, reason); empty: none
  std::string_view label_value;
  std::string_view sys_topic;
  SysAggregate sys;
  const Counter& (*counter)(const ShardStats&);
  double scale = 1;  // Prometheus value = counter * scale (nanoseconds to seconds)
  // A $SYS topic that also gets this entry's value added in (a total over reasons); empty: none.
  std::string_view sys_total_topic = {};
  // Histograms: the sample's name after the family's ("_bucket" with an `le` label, "_sum", "_count").
  std::string_view sample_suffix = {};
};

// Every ShardStats counter that is exported, in exposition order (a family's entries are adjacent).
std::span<const ShardMetric> ShardMetrics();

// $SYS topics and their values, in list order, for the shard `own_shard` to publish.
std::vector<std::pair<std::string_view, uint64_t>> SysTopicValues(std::span<const ShardStats> all_stats,
                                                                  int own_shard);

// What the exposition says about the binary.
struct BuildInfo {
  std::string version;   // meson project version
  std::string revision;  // git revision it was built from; empty when not built from a checkout
};

// Every metric: the shard counters per shard, then broker-wide gauges and process figures.
std::vector<MetricFamily> CollectMetrics(std::span<const ShardStats> all_stats, const BrokerShared& shared,
                                         const BuildInfo& build, int64_t now_ms);

}  // namespace ringmq
