#include "routing/route_table.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "tests/core/alloc_counter.h"

namespace ringmq {
namespace {

constexpr ShardMask Bit(int shard) { return ShardMask{1} << shard; }

struct Subscribed {
  std::string_view filter;  // bare, or "$share/{group}/{filter}"
  uint16_t shard;
};

// A table that has applied one add delta per entry, in order.
RouteTable TableWith(std::initializer_list<Subscribed> subscribed) {
  RouteTable table;
  for (const Subscribed& entry : subscribed) table.Apply({std::string(entry.filter), entry.shard, true});
  return table;
}

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
  RouteTable table =
      TableWith({{"fleet/eu/+/telemetry", 0}, {"fleet/#", 2}, {"fleet/eu/v1/telemetry", 5}, {"other", 7}});
  EXPECT_EQ(table.filter_count(), 4u);
  EXPECT_EQ(table.Match("fleet/eu/v1/telemetry"), Bit(0) | Bit(2) | Bit(5));
  EXPECT_EQ(table.Match("fleet/eu/v2/telemetry"), Bit(0) | Bit(2));
  EXPECT_EQ(table.Match("fleet"), Bit(2));
  EXPECT_EQ(table.Match("nothing/here"), 0u);
}

TEST(RouteTableTest, SameFilterOnSeveralShardsKeepsOneEntry) {
  RouteTable table = TableWith({{"a/b", 1}, {"a/b", 3}});
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
  RouteTable table = TableWith({{"a/#", 2}, {"$share/g/a/#", 2}});
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
  RouteTable table = TableWith({{"#", 63}, {"$SYS/#", 0}});
  EXPECT_EQ(table.Match("x/y"), Bit(63));
  EXPECT_EQ(table.Match("$SYS/uptime"), Bit(0));
}

TEST(RouteTableTest, SharedFilterKeyNamesGroupAndFilter) {
  EXPECT_EQ(SharedFilterKey("workers", "jobs/+"), "$share/workers/jobs/+");
  EXPECT_EQ(MakeRouteDelta("jobs/+", "workers", 1, true).filter, SharedFilterKey("workers", "jobs/+"));
}

TEST(RouteTableTest, NthShardCountsSetBitsModuloTheirNumber) {
  const ShardMask mask = Bit(1) | Bit(4) | Bit(63);
  EXPECT_EQ(NthShard(mask, 0), 1);
  EXPECT_EQ(NthShard(mask, 1), 4);
  EXPECT_EQ(NthShard(mask, 2), 63);
  EXPECT_EQ(NthShard(mask, 3), 1);
  EXPECT_EQ(NthShard(Bit(7), 12345), 7);
}

TEST(RouteTableTest, RouteSeparatesPlainShardsFromShareGroups) {
  RouteTable table = TableWith({{"a/+", 0}, {"$share/g/a/+", 2}, {"$share/g/a/+", 3}});
  RouteMatch match = table.Route("a/x");
  EXPECT_EQ(match.plain_shards, Bit(0));
  ASSERT_EQ(match.groups.size(), 1u);
  EXPECT_EQ(match.groups[0].shared_filter, "$share/g/a/+");
  EXPECT_EQ(match.groups[0].shards, Bit(2) | Bit(3));
  EXPECT_TRUE(match.groups[0].chosen_shard == 2 || match.groups[0].chosen_shard == 3);
  EXPECT_EQ(table.Match("a/x"), Bit(0) | Bit(2) | Bit(3));  // the union view is unchanged
}

TEST(RouteTableTest, RouteSpreadsEachGroupRoundRobinOverItsShards) {
  RouteTable table = TableWith({{"$share/g/t/#", 1}, {"$share/g/t/#", 5}, {"$share/g/t/#", 9}});
  std::map<int, int> picks;
  for (int i = 0; i < 300; ++i) {
    RouteMatch match = table.Route("t/1");
    ASSERT_EQ(match.groups.size(), 1u);
    ++picks[match.groups[0].chosen_shard];
  }
  EXPECT_EQ(picks, (std::map<int, int>{{1, 100}, {5, 100}, {9, 100}}));
}

TEST(RouteTableTest, GroupsAreScopedToTheirFilter) {
  RouteTable table = TableWith({{"$share/g/a/+", 1}, {"$share/g/a/#", 2}, {"$share/h/a/+", 3}});
  EXPECT_EQ(table.filter_count(), 3u);
  RouteMatch match = table.Route("a/b");
  EXPECT_EQ(match.plain_shards, 0u);
  std::map<std::string, int> chosen;
  for (const SharedRouteMatch& group : match.groups) chosen[std::string(group.shared_filter)] = group.chosen_shard;
  EXPECT_EQ(chosen, (std::map<std::string, int>{{"$share/g/a/+", 1}, {"$share/g/a/#", 2}, {"$share/h/a/+", 3}}));
  EXPECT_TRUE(table.Route("b").groups.empty());
}

TEST(RouteTableTest, GroupShardsFollowsDeltas) {
  RouteTable table = TableWith({{"$share/g/x", 0}, {"$share/g/x", 4}, {"x", 6}});
  EXPECT_EQ(table.GroupShards("$share/g/x"), Bit(0) | Bit(4));
  EXPECT_EQ(table.GroupShards("$share/other/x"), 0u);
  EXPECT_EQ(table.GroupShards("x"), 0u);  // a plain filter is no group
  table.Apply({"$share/g/x", 0, false});
  EXPECT_EQ(table.GroupShards("$share/g/x"), Bit(4));
  table.Apply({"$share/g/x", 4, false});
  EXPECT_EQ(table.GroupShards("$share/g/x"), 0u);
  EXPECT_EQ(table.Match("x"), Bit(6));
}

TEST(RouteTableTest, PickGroupShardSkipsExcludedShards) {
  RouteTable table = TableWith({{"$share/g/x", 0}, {"$share/g/x", 1}, {"$share/g/x", 2}});
  std::map<int, int> picks;
  for (int i = 0; i < 10; ++i) ++picks[table.PickGroupShard("$share/g/x", Bit(1))];
  EXPECT_EQ(picks, (std::map<int, int>{{0, 5}, {2, 5}}));
  EXPECT_EQ(table.PickGroupShard("$share/g/x", Bit(0) | Bit(1) | Bit(2)), -1);
  EXPECT_EQ(table.PickGroupShard("$share/none/x", 0), -1);
}

TEST(RouteTableTest, RouteWithUpToTwoGroupsDoesNotAllocate) {
  RouteTable table = TableWith(
      {{"fleet/+/telemetry", 3}, {"$share/g/fleet/+/telemetry", 1}, {"$share/h/fleet/+/telemetry", 2}});
  ShardMask plain = 0;
  size_t groups = 0;
  const long allocations = testing::CountAllocations([&] {
    plain = table.Route("fleet/dev1/telemetry").plain_shards;
    groups = table.Route("fleet/dev1/telemetry").groups.size();
    plain |= table.Route("other/topic").plain_shards;
  });
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(plain, Bit(3));
  EXPECT_EQ(groups, 2u);
}

TEST(RouteTableTest, GenerationMovesOnApplyNotOnRouting) {
  RouteTable table;
  uint64_t generation = table.generation();
  table.Apply({"$share/g/a/+", 1, true});
  EXPECT_GT(table.generation(), generation);
  generation = table.generation();
  table.Route("a/b");
  table.PickGroupShard("$share/g/a/+", 0);
  EXPECT_EQ(table.generation(), generation);
  table.Apply({"$share/g/a/+", 1, false});
  EXPECT_GT(table.generation(), generation);
}

TEST(RouteTableTest, ManyGroupsOnOneFilterStayFindableAsTheyComeAndGo) {
  RouteTable table;
  table.Apply({"#", 0, true});
  for (int g = 0; g < 100; ++g) table.Apply({absl::StrCat("$share/g", g, "/#"), static_cast<uint16_t>(g % 3), true});
  EXPECT_EQ(table.filter_count(), 101u);
  EXPECT_EQ(table.Route("x").groups.size(), 100u);
  EXPECT_EQ(table.Route("x").plain_shards, Bit(0));
  for (int g = 0; g < 100; ++g) ASSERT_EQ(table.GroupShards(absl::StrCat("$share/g", g, "/#")), Bit(g % 3));
  // Down past the point where the index goes, and back to a linear look.
  for (int g = 0; g < 97; ++g) table.Apply({absl::StrCat("$share/g", g, "/#"), static_cast<uint16_t>(g % 3), false});
  EXPECT_EQ(table.filter_count(), 4u);
  EXPECT_EQ(table.GroupShards("$share/g5/#"), 0u);
  for (int g = 97; g < 100; ++g) EXPECT_EQ(table.PickGroupShard(absl::StrCat("$share/g", g, "/#"), 0), g % 3);
  EXPECT_EQ(table.Route("x").plain_shards, Bit(0));
}

}  // namespace
}  // namespace ringmq
