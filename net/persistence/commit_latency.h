// The figures a ShardStore's writer thread publishes about its commits, for the metrics
// (net/broker_metrics.cc): commits, records and bytes written, compactions, the log's size, and a
// histogram of commit latency (append + fdatasync of one group commit).
//
// Thread ownership: written only by the store's writer thread (a single writer, so load + store,
// no locked read-modify-write); read by the shard's tick (relaxed), which copies them
// into its ShardStats. No locks on either side.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ringmq {

// Upper bounds of the commit latency buckets, in nanoseconds: 0.5 ms (a fast NVMe fdatasync) to 1 s
// (a disk in trouble), roughly doubling. Prometheus `le` labels are these in seconds.
inline constexpr size_t kCommitLatencyBuckets = 12;
inline constexpr std::array<uint64_t, kCommitLatencyBuckets> kCommitLatencyBoundsNs = {
    500'000,    1'000'000,   2'500'000,   5'000'000,   10'000'000,  25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 750'000'000, 1'000'000'000};

class WriterCounter {
 public:
  // Release/acquire so that a reader reading in the writer's order sees the writes in that order
  // (the histogram's buckets); free on x86, and the writer does this once per group commit.
  void Add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
  void Set(uint64_t n) { value_.store(n, std::memory_order_release); }
  uint64_t Get() const { return value_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct CommitStats {
  WriterCounter commits;      // group commits made durable
  WriterCounter records;      // records in them
  WriterCounter bytes;        // bytes appended by them
  WriterCounter compactions;  // compactions finished
  WriterCounter log_bytes;    // the log file's size after the last write or compaction
  WriterCounter recovery_dropped_bytes;  // cut off the log's tail at start-up (set before the writer runs)
  // Cumulative, as Prometheus wants: buckets[i] counts commits that took <= kCommitLatencyBoundsNs[i];
  // the last entry counts all of them (le="+Inf").
  std::array<WriterCounter, kCommitLatencyBuckets + 1> latency_buckets;
  WriterCounter latency_sum_ns;

  void ObserveLatency(uint64_t ns) {
    for (size_t i = 0; i < kCommitLatencyBuckets; ++i) {
      if (ns <= kCommitLatencyBoundsNs[i]) latency_buckets[i].Add(1);
    }
    latency_buckets[kCommitLatencyBuckets].Add(1);
    latency_sum_ns.Add(ns);
  }
};

}  // namespace ringmq
