#include "tools/bench/histogram.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  for (int64_t v = 0; v < 128; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketIndex(v), v);
    EXPECT_EQ(LatencyHistogram::BucketUpperEdge(static_cast<int>(v)), v);
  }
}

TEST(LatencyHistogramTest, BucketsAreContiguous) {
  int previous = LatencyHistogram::BucketIndex(0);
  for (int64_t v = 1; v < 1'000'000; ++v) {
    const int index = LatencyHistogram::BucketIndex(v);
    ASSERT_TRUE(index == previous || index == previous + 1) << v;
    previous = index;
  }
}

TEST(LatencyHistogramTest, UpperEdgeIsWithinOneSixtyFourth) {
  for (int64_t v = 128; v < LatencyHistogram::kMaxTrackableNs; v = v * 9 / 8 + 13) {
    const int64_t edge = LatencyHistogram::BucketUpperEdge(LatencyHistogram::BucketIndex(v));
    EXPECT_GE(edge, v);
    EXPECT_LE(edge - v, v / 64) << v;
    EXPECT_EQ(LatencyHistogram::BucketIndex(edge), LatencyHistogram::BucketIndex(v)) << v;
  }
}

TEST(LatencyHistogramTest, LargestValueFitsTheLastBucket) {
  const int last = LatencyHistogram::BucketIndex(LatencyHistogram::kMaxTrackableNs);
  EXPECT_LT(last, LatencyHistogram::kBucketCount);
  EXPECT_EQ(LatencyHistogram::BucketIndex(LatencyHistogram::kMaxTrackableNs * 10), last);
  LatencyHistogram h;
  h.Record(LatencyHistogram::kMaxTrackableNs * 10);  // clamped, not out of range
  EXPECT_EQ(h.max_ns(), LatencyHistogram::kMaxTrackableNs);
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 0);
  EXPECT_EQ(h.min_ns(), 0);
  EXPECT_EQ(h.mean_ns(), 0.0);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformRange) {
  LatencyHistogram h;
  for (int64_t us = 1; us <= 1000; ++us) h.Record(us * 1000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.ValueAtQuantile(0.50), 500'000, 500'000 / 64 + 1);
  EXPECT_NEAR(h.ValueAtQuantile(0.90), 900'000, 900'000 / 64 + 1);
  EXPECT_NEAR(h.ValueAtQuantile(0.99), 990'000, 990'000 / 64 + 1);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 1'000'000);
  EXPECT_EQ(h.max_ns(), 1'000'000);
  EXPECT_EQ(h.min_ns(), 1000);
  EXPECT_DOUBLE_EQ(h.mean_ns(), 500'500.0);
}

TEST(LatencyHistogramTest, QuantileNeverExceedsTheMaximum) {
  LatencyHistogram h;
  h.Record(1'000'001);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 1'000'001);
}

TEST(LatencyHistogramTest, NegativeValuesCountAsZero) {
  LatencyHistogram h;
  h.Record(-5);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max_ns(), 0);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndKeepsExtremes) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 99; ++i) a.Record(10'000);
  b.Record(5'000'000);
  b.Record(100);
  a.Merge(b);
  EXPECT_EQ(a.count(), 101u);
  EXPECT_EQ(a.max_ns(), 5'000'000);
  EXPECT_EQ(a.min_ns(), 100);
  EXPECT_NEAR(a.ValueAtQuantile(0.5), 10'000, 10'000 / 64 + 1);
  EXPECT_EQ(a.ValueAtQuantile(1.0), 5'000'000);
}

TEST(LatencyHistogramTest, ResetEmpties) {
  LatencyHistogram h;
  h.Record(42);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max_ns(), 0);
}

}  // namespace
}  // namespace ringmq::bench
