// What a shard spends per second of broker time on connection deadlines (keep-alive, CONNECT timeout,
// close grace): a walk over every connection once a second, against a DeadlineWheel that hands out only
// the entries that came due. One benchmark iteration is one second of broker time; 1% of the
// connections come due in it (they expire, or were active and are looked at again later), the rest
// are left alone. Both sides do the same work for those 1%.
//
//   build/bench/core/deadline_wheel_bench
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "benchmark/benchmark.h"
#include "core/deadline_wheel.h"

namespace ringmq {
namespace {

constexpr int64_t kDuePeriodMs = 100'000;  // each connection comes due once per 100 s: 1% a second
constexpr int64_t kTickMs = 250;           // the shard loop's tick

// Stands in for a shard's Connection: one cache line each, allocated one by one.
struct alignas(64) FakeConnection {
  uint32_t serial = 0;
  int64_t deadline_ms = 0;
};

struct Timer {
  FakeConnection* conn;
  uint32_t serial;
};

struct Fleet {
  explicit Fleet(int64_t count) {
    std::mt19937_64 random(1);
    std::uniform_int_distribution<int64_t> deadline_of(1, kDuePeriodMs);
    for (int64_t i = 0; i < count; ++i) {
      owned.push_back(std::make_unique<FakeConnection>());
      FakeConnection* conn = owned.back().get();
      conn->serial = static_cast<uint32_t>(i);
      conn->deadline_ms = deadline_of(random);
      connections.insert(conn);
    }
  }
  std::vector<std::unique_ptr<FakeConnection>> owned;
  absl::flat_hash_set<FakeConnection*> connections;
};

void BM_FullScanPerSecond(benchmark::State& state) {
  Fleet fleet(state.range(0));
  int64_t now_ms = 0;
  int64_t due = 0;
  for (auto _ : state) {
    now_ms += 1000;
    for (FakeConnection* conn : fleet.connections) {
      if (now_ms >= conn->deadline_ms) {
        conn->deadline_ms = now_ms + kDuePeriodMs;
        ++due;
      }
    }
  }
  state.counters["due_per_second"] = benchmark::Counter(static_cast<double>(due) / state.iterations());
}

void BM_WheelPerSecond(benchmark::State& state) {
  Fleet fleet(state.range(0));
  DeadlineWheel<Timer> wheel(kTickMs, 4096);
  int64_t now_ms = 0;
  wheel.PopDue(now_ms, [](const Timer&, int64_t) {});
  for (const auto& conn : fleet.owned) wheel.Schedule(Timer{conn.get(), conn->serial}, conn->deadline_ms);
  int64_t due = 0;
  for (auto _ : state) {
    for (int step = 0; step < 1000 / kTickMs; ++step) {
      now_ms += kTickMs;
      wheel.PopDue(now_ms, [&](const Timer& timer, int64_t) {
        // What the shard does with an entry: is it still the same connection, and really due?
        FakeConnection* conn = timer.conn;
        if (!fleet.connections.contains(conn) || conn->serial != timer.serial) return;
        if (now_ms >= conn->deadline_ms) {
          conn->deadline_ms = now_ms + kDuePeriodMs;
          ++due;
        }
        wheel.Schedule(timer, conn->deadline_ms);
      });
    }
  }
  state.counters["due_per_second"] = benchmark::Counter(static_cast<double>(due) / state.iterations());
}

BENCHMARK(BM_FullScanPerSecond)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WheelPerSecond)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
