// Micro-benchmarks for TopicTrie: publish-side Match against 10^3..10^6 fleet filters, and
// subscribe/unsubscribe churn.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/routing/fleet_workload.h"
#include "routing/topic_trie.h"

namespace ringmq::bench {
namespace {

struct Fixture {
  std::vector<std::string> filters;
  TopicTrie trie;
};

Fixture& FixtureFor(size_t filter_count) {
  return CachedFixture<Fixture>(filter_count, [](Fixture& fixture, size_t count) {
    fixture.filters = FleetFilters(count);
    for (size_t i = 0; i < fixture.filters.size(); ++i) {
      Subscription sub;
      sub.subscriber = i;
      fixture.trie.Add(fixture.filters[i], "", sub);
    }
  });
}

void BM_TopicTrieMatch(benchmark::State& state) {
  const size_t filter_count = static_cast<size_t>(state.range(0));
  Fixture& fixture = FixtureFor(filter_count);
  const std::vector<std::string> topics = FleetTopics(filter_count, 4096);
  size_t i = 0, visited = 0;
  SubscriberId checksum = 0;  // touch each subscription so the visit is not folded into a size()
  for (auto _ : state) {
    fixture.trie.Match(topics[i++ & 4095], [&](const Subscription& sub, std::string_view) {
      checksum ^= sub.subscriber;
      ++visited;
    });
  }
  benchmark::DoNotOptimize(visited);
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(state.iterations());
  state.counters["subs_per_match"] = static_cast<double>(visited) / static_cast<double>(state.iterations());
  state.counters["distinct_filters"] = static_cast<double>(fixture.trie.filter_count());
}
BENCHMARK(BM_TopicTrieMatch)->RangeMultiplier(10)->Range(1000, 1000000);

// One subscriber subscribing and unsubscribing a telemetry filter in a populated trie: the cost
// of a SUBSCRIBE/UNSUBSCRIBE pair including node creation and pruning.
void BM_TopicTrieAddRemove(benchmark::State& state) {
  const size_t filter_count = static_cast<size_t>(state.range(0));
  Fixture& fixture = FixtureFor(filter_count);
  const std::vector<std::string> churn = FleetFilters(4096, 7);
  Subscription sub;
  sub.subscriber = ~SubscriberId{0};
  size_t i = 0;
  for (auto _ : state) {
    const std::string& filter = churn[i++ & 4095];
    benchmark::DoNotOptimize(fixture.trie.Add(filter, "", sub));
    benchmark::DoNotOptimize(fixture.trie.Remove(filter, "", sub.subscriber));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTrieAddRemove)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
