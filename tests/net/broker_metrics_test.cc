#include "net/broker_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace ringmq {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

uint64_t SysValue(const std::vector<std::pair<std::string_view, uint64_t>>& values, std::string_view topic) {
  for (const auto& [name, value] : values) {
    if (name == topic) return value;
  }
  ADD_FAILURE() << "no $SYS topic " << topic;
  return 0;
}

const MetricFamily* FindFamily(const std::vector<MetricFamily>& families, std::string_view name) {
  for (const MetricFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(BrokerMetrics, ListIsWellFormed) {
  std::set<std::string_view> finished;  // families whose entries have ended
  std::string_view current;
  MetricType current_type = MetricType::kGauge;
  std::set<std::tuple<std::string_view, std::string_view, std::string_view>> labels_seen;
  for (const ShardMetric& metric : ShardMetrics()) {
    EXPECT_TRUE(IsValidMetricName(metric.name)) << metric.name;
    EXPECT_TRUE(metric.name.starts_with("ringmq_")) << metric.name;
    EXPECT_EQ(metric.type == MetricType::kCounter, metric.name.ends_with("_total")) << metric.name;
    if (metric.name != current) {
      EXPECT_FALSE(finished.contains(metric.name)) << metric.name << ": entries of a family must be adjacent";
      if (!current.empty()) finished.insert(current);
      current = metric.name;
      current_type = metric.type;
      EXPECT_FALSE(metric.help.empty()) << metric.name << ": the first entry carries the help";
    } else {
      EXPECT_EQ(metric.type, current_type) << metric.name;
    }
    if (!metric.label_name.empty()) {
      EXPECT_TRUE(IsValidLabelName(metric.label_name)) << metric.name;
      EXPECT_NE(metric.label_name, "shard");
    }
    EXPECT_TRUE(labels_seen.insert({metric.name, metric.sample_suffix, metric.label_value}).second)
        << metric.name << " twice";
    EXPECT_EQ(metric.type == MetricType::kHistogram, !metric.sample_suffix.empty()) << metric.name;
    EXPECT_EQ(metric.sys == SysAggregate::kNone, metric.sys_topic.empty()) << metric.name;
    if (!metric.sys_topic.empty()) EXPECT_TRUE(metric.sys_topic.starts_with("$SYS/broker/")) << metric.sys_topic;
  }
}

TEST(BrokerMetrics, SysTopicsSumShardsAndLabels) {
  std::vector<ShardStats> stats(2);
  stats[0].messages_received[0].Add(1);
  stats[0].messages_received[2].Add(10);
  stats[1].messages_received[1].Add(100);
  stats[1].CountDrop(DropReason::kQueueFull);
  stats[0].CountDrop(DropReason::kQos0OutputFull);
  stats[0].CountDrop(DropReason::kTooLargeForClient);
  stats[0].retained_messages.Set(5);
  stats[1].retained_messages.Set(4);  // a replica still catching up
  stats[1].memory_limit_refused.Add(3);
  const auto values = SysTopicValues(stats, 0);
  EXPECT_EQ(SysValue(values, "$SYS/broker/messages/received"), 111u);
  EXPECT_EQ(SysValue(values, "$SYS/broker/messages/dropped"), 3u);  // the total over the reasons
  EXPECT_EQ(SysValue(values, "$SYS/broker/messages/dropped/queue_full"), 1u);
  EXPECT_EQ(SysValue(values, "$SYS/broker/messages/dropped/qos0_output_full"), 1u);
  EXPECT_EQ(SysValue(values, "$SYS/broker/messages/dropped/slow_subscriber"), 0u);
  EXPECT_EQ(SysValue(values, "$SYS/broker/retained messages/count"), 5u);
  EXPECT_EQ(SysValue(values, "$SYS/broker/limits/memory_refused_connections"), 3u);
  EXPECT_EQ(SysTopicValues(stats, 1)[0].first, values[0].first);
  EXPECT_EQ(SysValue(SysTopicValues(stats, 1), "$SYS/broker/retained messages/count"), 4u);
  std::set<std::string_view> topics;
  for (const auto& [topic, value] : values) EXPECT_TRUE(topics.insert(topic).second) << topic << " twice";
}

TEST(BrokerMetrics, CollectedPerShardWithLabels) {
  std::vector<ShardStats> stats(2);
  stats[1].messages_sent[1].Add(7);
  stats[0].loop_busy_ns.Add(1500000000);
  stats[0].CountDrop(DropReason::kQos0Offline);
  BrokerShared shared;
  shared.open_connections = 4;
  shared.start_ms = 1000;
  const std::vector<MetricFamily> families = CollectMetrics(stats, shared, BuildInfo{"1.2.3", "abc"}, 3500);

  const MetricFamily* sent = FindFamily(families, "ringmq_messages_sent_total");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->type, MetricType::kCounter);
  ASSERT_EQ(sent->samples.size(), 6u);  // 2 shards x 3 QoS
  std::map<std::pair<std::string, std::string>, uint64_t> by_labels;
  for (const MetricSample& sample : sent->samples) {
    ASSERT_EQ(sample.labels.size(), 2u);
    EXPECT_EQ(sample.labels[0].name, "shard");
    EXPECT_EQ(sample.labels[1].name, "qos");
    by_labels[{sample.labels[0].value, sample.labels[1].value}] = std::get<uint64_t>(sample.value);
  }
  EXPECT_EQ((by_labels[{"1", "1"}]), 7u);
  EXPECT_EQ((by_labels[{"0", "1"}]), 0u);

  const MetricFamily* dropped = FindFamily(families, "ringmq_messages_dropped_total");
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->samples.size(), 2u * static_cast<size_t>(DropReason::kCount));  // 2 shards x every reason
  EXPECT_EQ(dropped->samples[0].labels[1].value, "qos0_offline");
  EXPECT_EQ(std::get<uint64_t>(dropped->samples[0].value), 1u);

  const MetricFamily* busy = FindFamily(families, "ringmq_shard_loop_busy_seconds_total");
  ASSERT_NE(busy, nullptr);
  EXPECT_DOUBLE_EQ(std::get<double>(busy->samples[0].value), 1.5);

  const MetricFamily* open = FindFamily(families, "ringmq_connections_open");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(std::get<int64_t>(open->samples[0].value), 4);
  const MetricFamily* uptime = FindFamily(families, "ringmq_uptime_seconds");
  ASSERT_NE(uptime, nullptr);
  EXPECT_DOUBLE_EQ(std::get<double>(uptime->samples[0].value), 2.5);
  const MetricFamily* info = FindFamily(families, "ringmq_build_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->samples[0].labels[0].value, "1.2.3");
  EXPECT_EQ(info->samples[0].labels[1].value, "abc");
  const MetricFamily* rss = FindFamily(families, "process_resident_memory_bytes");
  ASSERT_NE(rss, nullptr);
  EXPECT_GT(std::get<uint64_t>(rss->samples[0].value), 0u);

  std::set<std::string> names;
  for (const MetricFamily& family : families) EXPECT_TRUE(names.insert(family.name).second) << family.name;
}

TEST(BrokerMetrics, ExpositionHasOneHeaderPerFamily) {
  std::vector<ShardStats> stats(3);
  BrokerShared shared;
  const std::string text = FormatPrometheusText(CollectMetrics(stats, shared, BuildInfo{"1", ""}, 0));
  size_t pos = 0;
  int help_lines = 0;
  while ((pos = text.find("# HELP ringmq_messages_received_total ", pos)) != std::string::npos) {
    ++help_lines;
    ++pos;
  }
  EXPECT_EQ(help_lines, 1);
  EXPECT_NE(text.find("ringmq_messages_received_total{shard=\"2\",qos=\"2\"} 0\n"), std::string::npos);
}

TEST(BrokerMetrics, CommitLatencyIsAPrometheusHistogram) {
  // The `le` labels are the bounds the writer thread sorts commits by, in seconds, then +Inf.
  std::vector<std::string_view> les;
  for (const ShardMetric& metric : ShardMetrics()) {
    if (metric.name == "ringmq_persistence_commit_seconds" && metric.sample_suffix == "_bucket") {
      les.push_back(metric.label_value);
    }
  }
  ASSERT_EQ(les.size(), kCommitLatencyBuckets + 1);
  for (size_t i = 0; i < kCommitLatencyBuckets; ++i) {
    EXPECT_DOUBLE_EQ(std::stod(std::string(les[i])), static_cast<double>(kCommitLatencyBoundsNs[i]) * 1e-9) << les[i];
  }
  EXPECT_EQ(les.back(), "+Inf");

  CommitStats commits;
  commits.ObserveLatency(400'000);      // 0.4 ms: every bucket
  commits.ObserveLatency(3'000'000);    // 3 ms: from le=0.005 up
  commits.ObserveLatency(2'000'000'000);  // 2 s: +Inf only
  std::vector<ShardStats> stats(1);
  for (size_t i = 0; i <= kCommitLatencyBuckets; ++i) {
    stats[0].commit_latency_buckets[i].Set(commits.latency_buckets[i].Get());
  }
  stats[0].commit_latency_sum_ns.Set(commits.latency_sum_ns.Get());
  BrokerShared shared;
  const std::string text = FormatPrometheusText(CollectMetrics(stats, shared, BuildInfo{"1", ""}, 0));
  EXPECT_NE(text.find("# TYPE ringmq_persistence_commit_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_bucket{shard=\"0\",le=\"0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_bucket{shard=\"0\",le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_bucket{shard=\"0\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_bucket{shard=\"0\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_bucket{shard=\"0\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_count{shard=\"0\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("ringmq_persistence_commit_seconds_sum{shard=\"0\"} 2.0034\n"), std::string::npos);
}

}  // namespace
}  // namespace ringmq
