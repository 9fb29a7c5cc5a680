#include "routing/route_table.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

constexpr ShardMask Bit(int shard) { return ShardMask{1} << shard; }

TEST(RouteTableTest, MakeRouteDeltaBuildsPlainAndSharedFilters) {
  RouteDelta plain = MakeRouteDelta("a/+", "", 3, true);
  EXPECT_EQ(plain.filter, "a/+");
  EXPECT_EQ(plain.shard, 3);
  EXPECT_TRUE(plain.add);
  RouteDelta shared = MakeRouteDelta("a/+", "workers", 5, false);
  EXPECT_EQ(shared.filter, "$share/workers/a/+");
  EXPECT_EQ(shared.shard, 5);
  EXPECT_FALSE(shared.add);
}

TEST(RouteTableTest, MatchUnionsShardsOfAllMatchingFilters) {
  RouteTable table;
  table.Apply({"fleet/eu/+/telemetry", 0, true});
  table.Apply({"fleet/#", 2, true});
  table.Apply({"fleet/eu/v1/telemetry", 5, true});
  table.Apply({"other", 7, true});
  EXPECT_EQ(table.filter_count(), 4u);
  EXPECT_EQ(table.Match("fleet/eu/v1/telemetry"), Bit(0) | Bit(2) | Bit(5));
  EXPECT_EQ(table.Match("fleet/eu/v2/telemetry"), Bit(0) | Bit(2));
  EXPECT_EQ(table.Match("fleet"), Bit(2));
  EXPECT_EQ(table.Match("nothing/here"), 0u);
}

TEST(RouteTableTest, SameFilterOnSeveralShardsKeepsOneEntry) {
  RouteTable table;
  table.Apply({"a/b", 1, true});
  table.Apply({"a/b", 3, true});
  EXPECT_EQ(table.filter_count(), 1u);
  EXPECT_EQ(table.Match("a/b"), Bit(1) | Bit(3));
  table.Apply({"a/b", 1, false});
  EXPECT_EQ(table.Match("a/b"), Bit(3));
  table.Apply({"a/b", 3, false});
  EXPECT_EQ(table.Match("a/b"), 0u);
  EXPECT_EQ(table.filter_count(), 0u);
}

TEST(RouteTableTest, SharedSubscriptionsRouteByInnerFilter) {
  RouteTable table;
  table.Apply({"$share/g1/sensors/+", 4, true});
  EXPECT_EQ(table.Match("sensors/t1"), Bit(4));
  EXPECT_EQ(table.Match("$share/g1/sensors/t1"), 0u);  // the share prefix is not part of the topic
  table.Apply({"$share/g2/sensors/+", 6, true});
  EXPECT_EQ(table.Match("sensors/t1"), Bit(4) | Bit(6));
  EXPECT_EQ(table.filter_count(), 2u);
}

TEST(RouteTableTest, RemovingGroupKeepsPlainSubscriptionOnSameShard) {
  RouteTable table;
  table.Apply({"a/#", 2, true});
  table.Apply({"$share/g/a/#", 2, true});
  EXPECT_EQ(table.filter_count(), 2u);
  table.Apply({"$share/g/a/#", 2, false});
  EXPECT_EQ(table.Match("a/x"), Bit(2));
  table.Apply({"$share/g/a/#", 2, true});
  table.Apply({"a/#", 2, false});
  EXPECT_EQ(table.Match("a/x"), Bit(2));  // the group still routes there
  table.Apply({"$share/g/a/#", 2, false});
  EXPECT_EQ(table.Match("a/x"), 0u);
  EXPECT_EQ(table.filter_count(), 0u);
}

TEST(RouteTableTest, RepeatedDeltasAreHarmless) {
  RouteTable table;
  table.Apply({"t", 0, true});
  table.Apply({"t", 0, true});
  EXPECT_EQ(table.filter_count(), 1u);
  table.Apply({"t", 0, false});
  EXPECT_EQ(table.Match("t"), 0u);
  table.Apply({"t", 0, false});
  table.Apply({"never", 9, false});
  EXPECT_EQ(table.filter_count(), 0u);
}

TEST(RouteTableTest, HighestShardAndDollarRule) {
  RouteTable table;
  table.Apply({"#", 63, true});
  table.Apply({"$SYS/#", 0, true});
  EXPECT_EQ(table.Match("x/y"), Bit(63));
  EXPECT_EQ(table.Match("$SYS/uptime"), Bit(0));
}

}  // namespace
}  // namespace ringmq
