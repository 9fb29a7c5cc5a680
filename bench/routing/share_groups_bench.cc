// Micro-benchmark for the shared-subscription part of a publish: one session holding G share groups
// on `#` (the attack of issue 11), a publish matching all of them. Per publish the publisher's shard
// routes it (one pick per group) and the member's shard finds each group's members.
//
// BM_ShareGroupsPerPublish: the lookup the broker does now, one exact (filter, group) lookup per
// group. BM_ShareGroupsPerPublishByMatch: the lookup it did before (net/mqtt/shared_subscriptions.cc until
// 2026-12-06), kept here for comparison: per group, match the topic against the whole trie and keep
// the members of that group name, then scan the session's subscription list for (group, filter).
// Both also ask the route table for the group's shards, as the delivery did for every copy.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "routing/route_table.h"
#include "routing/topic_trie.h"

namespace ringmq::bench {
namespace {

struct OwnSubscription {  // the session's view of one subscription, as the old list held it
  std::string filter;
  std::string group;
};

struct Fixture {
  explicit Fixture(int groups) {
    for (int g = 0; g < groups; ++g) {
      const std::string group = absl::StrCat("g", g);
      Subscription sub;
      sub.subscriber = 1;
      trie.Add("#", group, sub);
      table.Apply(MakeRouteDelta("#", group, 0, true));
      session_list.push_back({"#", group});
    }
  }
  TopicTrie trie;
  RouteTable table;
  std::vector<OwnSubscription> session_list;
};

constexpr std::string_view kTopic = "fleet/eu/v1/state";

// "$share/{group}/{filter}" -> (group, filter)
std::pair<std::string_view, std::string_view> SplitShared(std::string_view shared) {
  shared.remove_prefix(7);
  const size_t slash = shared.find('/');
  return {shared.substr(0, slash), shared.substr(slash + 1)};
}

#ifndef RINGMQ_BENCH_BEFORE_ONLY
void BM_ShareGroupsPerPublish(benchmark::State& state) {
  Fixture fixture(static_cast<int>(state.range(0)));
  size_t members = 0;
  for (auto _ : state) {
    const RouteMatch match = fixture.table.Route(kTopic);
    for (const SharedRouteMatch& group : match.groups) {
      const auto [name, filter] = SplitShared(group.shared_filter);
      members += fixture.trie.GroupMembers(filter, name).size();
      members += fixture.table.GroupShards(group.shared_filter) != 0;
    }
  }
  benchmark::DoNotOptimize(members);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShareGroupsPerPublish)->Arg(8)->Arg(200)->Arg(2000);
#endif

void BM_ShareGroupsPerPublishByMatch(benchmark::State& state) {
  Fixture fixture(static_cast<int>(state.range(0)));
  size_t members = 0;
  for (auto _ : state) {
    const RouteMatch match = fixture.table.Route(kTopic);
    for (const SharedRouteMatch& group : match.groups) {
      const auto [name, filter] = SplitShared(group.shared_filter);
      fixture.trie.Match(kTopic, [&](const Subscription&, std::string_view member_group) {
        if (member_group != name) return;
        for (const OwnSubscription& own : fixture.session_list) {
          if (own.group == name && own.filter == filter) {
            ++members;
            break;
          }
        }
      });
      members += fixture.table.GroupShards(group.shared_filter) != 0;
    }
  }
  benchmark::DoNotOptimize(members);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShareGroupsPerPublishByMatch)->Arg(8)->Arg(200)->Arg(2000);

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
