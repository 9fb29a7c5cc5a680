// LatencyHistogram: a log-linear (HDR-like) histogram of nanosecond latencies for ringmq-bench.
//
// Values below 128 ns are stored exactly; above, every power of two is split into 64 linear
// sub-buckets, so any reported percentile is within 1/64 (1.6 %) of the true value. The range ends at
// kMaxTrackableNs (60 s); larger values are clamped into the last bucket. Two histograms merge by
// adding their buckets, which is how per-thread results are combined.
//
// Thread ownership: owned by one worker thread; the main thread reads a copy (snapshot) or the
// original after the worker has been joined.
#pragma once

#include <array>
#include <cstdint>

namespace ringmq::bench {

class LatencyHistogram {
 public:
  static constexpr int64_t kMaxTrackableNs = 60'000'000'000;
  static constexpr int kSubBucketBits = 6;  // 64 linear sub-buckets per power of two

  void Record(int64_t value_ns);
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  int64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
  int64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / count_; }
  // The value at quantile q in [0, 1] (0.99 = p99): the upper edge of the bucket holding it, never
  // above the largest recorded value. 0 when empty.
  int64_t ValueAtQuantile(double q) const;

  // Bucket mapping, exposed for tests.
  static int BucketIndex(int64_t value_ns);
  static int64_t BucketUpperEdge(int index);
  static constexpr int kBucketCount = 2 * (1 << kSubBucketBits) + (36 - 7) * (1 << kSubBucketBits);

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  int64_t min_ns_ = INT64_MAX;
  int64_t max_ns_ = 0;
  int64_t sum_ns_ = 0;
};

}  // namespace ringmq::bench
