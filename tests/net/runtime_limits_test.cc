// The limits snapshot SIGHUP publishes, and how a shard takes it.
#include "net/runtime_limits.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

std::shared_ptr<const RuntimeLimits> LimitsWith(uint32_t max_packet_size, uint64_t generation) {
  BrokerConfig config;
  config.max_packet_size = max_packet_size;
  return std::make_shared<const RuntimeLimits>(RuntimeLimits::From(config, generation));
}

TEST(RuntimeLimits, CopiesTheFlagsFields) {
  BrokerConfig config;
  config.max_connections = 7;
  config.max_queued_messages = 9;
  config.max_publish_rate = 11;
  config.slow_subscriber_action = BrokerConfig::SlowSubscriberAction::kDrop;
  const RuntimeLimits limits = RuntimeLimits::From(config, 3);
  EXPECT_EQ(limits.max_connections, 7);
  EXPECT_EQ(limits.max_queued_messages, 9u);
  EXPECT_EQ(limits.max_publish_rate, 11u);
  EXPECT_EQ(limits.slow_subscriber_action, BrokerConfig::SlowSubscriberAction::kDrop);
  EXPECT_EQ(limits.generation, 3u);
}

TEST(RuntimeLimits, ReloadableFlagsAreTheLimitsNotTheStructure) {
  EXPECT_TRUE(IsReloadableFlag("max_connections"));
  EXPECT_TRUE(IsReloadableFlag("max_publish_rate"));
  EXPECT_TRUE(IsReloadableFlag("log_level"));
  EXPECT_TRUE(IsReloadableFlag("bridge_file"));  // the bridges are re-read and applied by difference
  EXPECT_FALSE(IsReloadableFlag("listen"));
  EXPECT_FALSE(IsReloadableFlag("shards"));
  EXPECT_FALSE(IsReloadableFlag("data_dir"));
  EXPECT_FALSE(IsReloadableFlag("max_inflight"));  // the Receive Maximum clients were told
}

TEST(ShardLimits, TakesANewerSnapshotOnlyOnce) {
  RuntimeLimitsStore store(LimitsWith(1000, 1));
  ShardLimits limits(&store, BrokerConfig{});
  EXPECT_FALSE(limits.Refresh(1));
  store.Replace(LimitsWith(2000, 2));
  EXPECT_EQ(limits->max_packet_size, 1000u);  // not before its Refresh
  EXPECT_TRUE(limits.Refresh(1));
  EXPECT_EQ(limits->max_packet_size, 2000u);
  EXPECT_FALSE(limits.Refresh(1));
  EXPECT_EQ(store.max_packet_size(), 2000u);
}

TEST(ShardLimits, LoweredPacketSizeHoldsOnlyLaterConnections) {
  RuntimeLimitsStore store(LimitsWith(65536, 1));
  ShardLimits limits(&store, BrokerConfig{});
  EXPECT_EQ(limits.MaxPacketSizeFor(5), 65536u);
  store.Replace(LimitsWith(1024, 2));
  ASSERT_TRUE(limits.Refresh(/*next_serial=*/10));
  EXPECT_EQ(limits.MaxPacketSizeFor(9), 65536u);  // connected before: keeps what it was told
  EXPECT_EQ(limits.MaxPacketSizeFor(10), 1024u);
  EXPECT_EQ(limits.MaxPacketSizeFor(11), 1024u);
  store.Replace(LimitsWith(4096, 3));  // raised: every connection before it may send the largest yet
  ASSERT_TRUE(limits.Refresh(20));
  EXPECT_EQ(limits.MaxPacketSizeFor(9), 65536u);
  EXPECT_EQ(limits.MaxPacketSizeFor(15), 65536u);
  EXPECT_EQ(limits.MaxPacketSizeFor(20), 4096u);
}

TEST(ShardLimits, SerialsWrapAround) {
  RuntimeLimitsStore store(LimitsWith(65536, 1));
  ShardLimits limits(&store, BrokerConfig{});
  store.Replace(LimitsWith(1024, 2));
  ASSERT_TRUE(limits.Refresh(/*next_serial=*/UINT32_MAX - 1));
  EXPECT_EQ(limits.MaxPacketSizeFor(UINT32_MAX - 2), 65536u);
  EXPECT_EQ(limits.MaxPacketSizeFor(UINT32_MAX), 1024u);
  EXPECT_EQ(limits.MaxPacketSizeFor(3), 1024u);  // after the wrap
}

TEST(ShardLimits, WithoutAStoreTheConfigsLimitsHold) {
  BrokerConfig config;
  config.max_connections = 12;
  config.max_packet_size = 512;
  ShardLimits limits(nullptr, config);
  EXPECT_EQ(limits->max_connections, 12);
  EXPECT_EQ(limits.MaxPacketSizeFor(1), 512u);
  EXPECT_FALSE(limits.Refresh(2));
}

}  // namespace
}  // namespace ringmq
