// Micro-benchmarks for RouteTable: publish-side Match (which shards to forward to) over fleet
// filters spread across 8 shards, and Apply for add/remove delta pairs (on an otherwise unused
// shard, so the fixture is left as it was).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/routing/fleet_workload.h"
#include "routing/route_table.h"

namespace ringmq::bench {
namespace {

constexpr uint16_t kShards = 8;

struct Fixture {
  RouteTable table;
};

Fixture& FixtureFor(size_t filter_count) {
  return CachedFixture<Fixture>(filter_count, [](Fixture& fixture, size_t count) {
    std::vector<std::string> filters = FleetFilters(count);
    for (size_t i = 0; i < filters.size(); ++i) {
      fixture.table.Apply(RouteDelta{std::move(filters[i]), static_cast<uint16_t>(i % kShards), true});
    }
  });
}

void BM_RouteTableMatch(benchmark::State& state) {
  const size_t filter_count = static_cast<size_t>(state.range(0));
  Fixture& fixture = FixtureFor(filter_count);
  const std::vector<std::string> topics = FleetTopics(filter_count, 4096);
  size_t i = 0;
  ShardMask all = 0;
  for (auto _ : state) all |= fixture.table.Match(topics[i++ & 4095]);
  benchmark::DoNotOptimize(all);
  state.SetItemsProcessed(state.iterations());
  state.counters["distinct_filters"] = static_cast<double>(fixture.table.filter_count());
}
BENCHMARK(BM_RouteTableMatch)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RouteTableApplyAddRemove(benchmark::State& state) {
  Fixture& fixture = FixtureFor(static_cast<size_t>(state.range(0)));
  std::vector<RouteDelta> adds, removes;
  for (std::string& filter : FleetFilters(4096, 7)) {
    adds.push_back(RouteDelta{filter, 63, true});
    removes.push_back(RouteDelta{std::move(filter), 63, false});
  }
  size_t i = 0;
  for (auto _ : state) {
    size_t k = i++ & 4095;
    fixture.table.Apply(adds[k]);
    fixture.table.Apply(removes[k]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteTableApplyAddRemove)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
