// Micro-benchmarks for RetainedStore: SUBSCRIBE-side Match with an exact topic, a `+` level and a
// `#` subtree over N retained fleet states, and Set replacing a retained message.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/routing/fleet_workload.h"
#include "routing/retained_store.h"

namespace ringmq::bench {
namespace {

struct Fixture {
  std::vector<MessageRef> messages;
  RetainedStore store;
};

// fleet/{region}/{vehicle}/state for `topic_count` vehicles.
Fixture& FixtureFor(size_t topic_count) {
  return CachedFixture<Fixture>(topic_count, [](Fixture& fixture, size_t count) {
    for (size_t v = 0; v < count; ++v) {
      std::string topic = absl::StrCat("fleet/", Region(v), "/", Vehicle(v), "/state");
      fixture.messages.push_back(Message::Create(MessageParams{.topic = topic, .payload = "online", .retain = true}));
      fixture.store.Set(fixture.messages.back());
    }
  });
}

void RunMatch(benchmark::State& state, const std::vector<std::string>& filters) {
  Fixture& fixture = FixtureFor(static_cast<size_t>(state.range(0)));
  size_t i = 0, found = 0;
  for (auto _ : state) {
    fixture.store.Match(filters[i++ % filters.size()], [&found](const MessageRef&) { ++found; });
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
  state.counters["msgs_per_match"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}

void BM_RetainedMatchExact(benchmark::State& state) {
  std::vector<std::string> filters;
  for (size_t v = 0; v < 1024; ++v) {
    size_t vehicle = v * 7919 % static_cast<size_t>(state.range(0));
    filters.push_back(absl::StrCat("fleet/", Region(vehicle), "/", Vehicle(vehicle), "/state"));
  }
  RunMatch(state, filters);
}
BENCHMARK(BM_RetainedMatchExact)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RetainedMatchPlusVehicle(benchmark::State& state) {
  std::vector<std::string> filters;
  for (size_t v = 0; v < 1024; ++v) {
    size_t vehicle = v * 7919 % static_cast<size_t>(state.range(0));
    filters.push_back(absl::StrCat("fleet/+/", Vehicle(vehicle), "/state"));
  }
  RunMatch(state, filters);
}
BENCHMARK(BM_RetainedMatchPlusVehicle)->RangeMultiplier(10)->Range(1000, 1000000);

// Walks one region: N/16 retained messages per call.
void BM_RetainedMatchRegionSubtree(benchmark::State& state) {
  std::vector<std::string> filters;
  for (int r = 0; r < kRegions; ++r) filters.push_back(absl::StrCat("fleet/", Region(r), "/#"));
  RunMatch(state, filters);
}
BENCHMARK(BM_RetainedMatchRegionSubtree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RetainedSetReplace(benchmark::State& state) {
  Fixture& fixture = FixtureFor(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) fixture.store.Set(fixture.messages[i++ * 7919 % fixture.messages.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetainedSetReplace)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
