// SharedState: the little state ringmq-bench's threads share - the run phase set by the main thread,
// connection readiness counts, and per-publisher counters used for the end-to-end window and for
// loss accounting. All relaxed/acquire-release atomics; nothing here is locked.
//
// Thread ownership: created by the main thread before the workers start and destroyed after they are
// joined. PublisherCounters::sent is written only by the publisher's worker, delivered by any
// subscriber's worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace ringmq::bench {

enum class Phase : uint8_t {
  kConnecting,  // opening connections, subscribing
  kWarmup,      // publishing, results not yet measured
  kMeasure,     // publishing, latency and rates recorded
  kDrain,       // publishers stopped, subscribers still receiving
  kStop,        // workers exit
};

// One cache line per publisher so publisher and subscriber threads do not false-share.
struct alignas(64) PublisherCounters {
  std::atomic<uint64_t> sent{0};       // messages published (sequence numbers used)
  std::atomic<uint64_t> delivered{0};  // first receptions by subscribers of this process
};

struct SharedState {
  SharedState(uint32_t publisher_count, int64_t start_ns)
      : publishers(std::make_unique<PublisherCounters[]>(publisher_count)), run_start_ns(start_ns) {}

  Phase phase() const { return phase_.load(std::memory_order_acquire); }
  void set_phase(Phase phase) { phase_.store(phase, std::memory_order_release); }

  std::unique_ptr<PublisherCounters[]> publishers;
  const int64_t run_start_ns;  // payloads stamped before this are stale (retained from an old run)
  // Measurement window on the monotonic clock; written by the main thread before it switches the
  // phase to kMeasure / kDrain, so a worker that saw the phase sees the value.
  std::atomic<int64_t> measure_start_ns{INT64_MAX};
  std::atomic<int64_t> measure_end_ns{INT64_MAX};

  std::atomic<uint32_t> ready_clients{0};   // connected and, if subscribing, subscribed
  std::atomic<uint32_t> failed_clients{0};  // refused, timed out or closed before ready

 private:
  std::atomic<Phase> phase_{Phase::kConnecting};
};

}  // namespace ringmq::bench
