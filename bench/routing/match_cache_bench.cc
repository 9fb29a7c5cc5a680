// Micro-benchmarks for MatchCache in front of the routing tables: the cost of a hit (hash + key
// compare), of a miss (the trie match plus refilling an entry), and the uncached trie match they
// replace, over the fleet workload's topics and filters.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "bench/routing/fleet_workload.h"
#include "routing/match_cache.h"
#include "routing/route_table.h"
#include "routing/topic_trie.h"

namespace ringmq::bench {
namespace {

constexpr size_t kFilters = 10000;
constexpr size_t kTopics = 4096;  // distinct topics cycled through, within the default capacity
using Subscriptions = absl::InlinedVector<Subscription, 2>;

struct Tables {
  TopicTrie trie;
  RouteTable routes;
  std::vector<std::string> topics = FleetTopics(kFilters, kTopics);
};

Tables& Fixture() {
  static Tables* tables = [] {
    auto* t = new Tables();
    std::vector<std::string> filters = FleetFilters(kFilters);
    for (size_t i = 0; i < filters.size(); ++i) {
      Subscription sub;
      sub.subscriber = i + 1;
      t->trie.Add(filters[i], "", sub);
      t->routes.Apply(RouteDelta{filters[i], static_cast<uint16_t>(i % 8), true});
    }
    return t;
  }();
  return *tables;
}

void MatchInto(const TopicTrie& trie, std::string_view topic, Subscriptions& out) {
  out.clear();
  trie.Match(topic, [&out](const Subscription& sub, std::string_view) { out.push_back(sub); });
}

// Baseline: what every delivery paid before the cache.
void BM_TrieMatchUncached(benchmark::State& state) {
  Tables& t = Fixture();
  Subscriptions out;
  size_t i = 0;
  for (auto _ : state) {
    MatchInto(t.trie, t.topics[i++ % kTopics], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TrieMatchUncached);

// Every lookup hits: the steady state of a fleet re-publishing the same topics.
void BM_SubscriptionCacheHit(benchmark::State& state) {
  Tables& t = Fixture();
  MatchCache<Subscriptions> cache;
  for (const std::string& topic : t.topics) {
    MatchInto(t.trie, topic, *cache.Claim(topic, cache.Hash(topic), 0));
  }
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const std::string& topic = t.topics[i++ % kTopics];
    const Subscriptions* hit = cache.Find(topic, cache.Hash(topic), 0);
    found += hit != nullptr ? hit->size() : 0;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionCacheHit);

// Every lookup misses (the generation moves each time): lookup + trie match + refill, the cost
// under subscription churn or more distinct topics than the cache holds.
void BM_SubscriptionCacheMiss(benchmark::State& state) {
  Tables& t = Fixture();
  MatchCache<Subscriptions> cache;
  size_t i = 0;
  uint64_t generation = 0;
  for (auto _ : state) {
    const std::string& topic = t.topics[i++ % kTopics];
    const size_t hash = cache.Hash(topic);
    if (cache.Find(topic, hash, ++generation) == nullptr) {
      MatchInto(t.trie, topic, *cache.Claim(topic, hash, generation));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionCacheMiss);

void BM_RouteUncached(benchmark::State& state) {
  Tables& t = Fixture();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(t.routes.Route(t.topics[i++ % kTopics]).plain_shards);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteUncached);

void BM_RouteCacheHit(benchmark::State& state) {
  Tables& t = Fixture();
  MatchCache<ShardMask> cache;
  for (const std::string& topic : t.topics) {
    *cache.Claim(topic, cache.Hash(topic), t.routes.generation()) = t.routes.Route(topic).plain_shards;
  }
  size_t i = 0;
  ShardMask shards = 0;
  for (auto _ : state) {
    const std::string& topic = t.topics[i++ % kTopics];
    if (const ShardMask* hit = cache.Find(topic, cache.Hash(topic), t.routes.generation())) shards |= *hit;
  }
  benchmark::DoNotOptimize(shards);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteCacheHit);

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
