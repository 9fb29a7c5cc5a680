#include "tools/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ringmq::bench {
namespace {

constexpr int64_t kSubBuckets = int64_t{1} << LatencyHistogram::kSubBucketBits;
constexpr int64_t kExactLimit = 2 * kSubBuckets;  // values below are their own bucket

}  // namespace

int LatencyHistogram::BucketIndex(int64_t value_ns) {
  const int64_t v = std::clamp<int64_t>(value_ns, 0, kMaxTrackableNs);
  if (v < kExactLimit) return static_cast<int>(v);
  const int msb = std::bit_width(static_cast<uint64_t>(v)) - 1;  // >= kSubBucketBits + 1
  const int shift = msb - kSubBucketBits;
  const int64_t sub = (v >> shift) - kSubBuckets;  // 0 .. kSubBuckets-1
  return static_cast<int>(kExactLimit + (msb - kSubBucketBits - 1) * kSubBuckets + sub);
}

int64_t LatencyHistogram::BucketUpperEdge(int index) {
  if (index < kExactLimit) return index;
  const int64_t above = index - kExactLimit;
  const int shift = static_cast<int>(above / kSubBuckets) + 1;
  const int64_t sub = above % kSubBuckets + kSubBuckets;
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t value_ns) {
  const int64_t v = std::clamp<int64_t>(value_ns, 0, kMaxTrackableNs);
  ++buckets_[BucketIndex(v)];
  ++count_;
  sum_ns_ += v;
  min_ns_ = std::min(min_ns_, v);
  max_ns_ = std::max(max_ns_, v);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

void LatencyHistogram::Reset() { *this = LatencyHistogram(); }

int64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted value, 1-based: p50 of 4 values is the 2nd.
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(clamped * count_)));
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(BucketUpperEdge(i), min_ns_, max_ns_);
  }
  return max_ns_;
}

}  // namespace ringmq::bench
