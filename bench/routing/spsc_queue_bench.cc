// Micro-benchmarks for SpscQueue: two-thread throughput (producer = benchmark thread, consumer =
// a spinning thread) with 1, 16 and 64 items per Publish(), for plain integers and for
// MessageRefs (the real cross-shard payload: a reference taken by the producer, moved through the
// ring and dropped by the consumer; cycling over distinct messages as real traffic does, so the
// refcount cache line is not one hot spot shared by both threads).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/message.h"
#include "routing/spsc_queue.h"

namespace ringmq::bench {
namespace {

// Runs `state` with a consumer thread draining `queue` until the producer is done.
template <class T, class MakeItem>
void RunThroughput(benchmark::State& state, MakeItem make_item) {
  const size_t batch = static_cast<size_t>(state.range(0));
  SpscQueue<T> queue(4096);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> consumed{0};
  std::thread consumer([&] {
    uint64_t count = 0;
    auto sink = [](T&& item) { benchmark::DoNotOptimize(item); };
    while (!done.load(std::memory_order_relaxed)) count += queue.ConsumeBatch(sink, 256);
    while (size_t n = queue.ConsumeBatch(sink, 256)) count += n;
    consumed.store(count);
  });
  uint64_t produced = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) {
      T item = make_item(produced);
      while (!queue.TryPush(std::move(item))) {
      }
      ++produced;
    }
    queue.Publish();
  }
  done.store(true);
  consumer.join();
  if (consumed.load() != produced) state.SkipWithError("items lost");
  state.SetItemsProcessed(static_cast<int64_t>(produced));
}

void BM_SpscThroughputInt(benchmark::State& state) {
  RunThroughput<uint64_t>(state, [](uint64_t n) { return n; });
}
BENCHMARK(BM_SpscThroughputInt)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

void BM_SpscThroughputMessageRef(benchmark::State& state) {
  std::vector<MessageRef> pool;
  for (int i = 0; i < 1024; ++i) {
    pool.push_back(Message::Create(MessageParams{.topic = "fleet/r1/veh1/telemetry", .payload = "0123456789"}));
  }
  RunThroughput<MessageRef>(state, [&pool](uint64_t n) { return pool[n & 1023]; });
}
BENCHMARK(BM_SpscThroughputMessageRef)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace
}  // namespace ringmq::bench

BENCHMARK_MAIN();
