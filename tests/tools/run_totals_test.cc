#include "tools/bench/run_totals.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(RunTotalsTest, MergeAddsCountersAndWidensTheConnectSpan) {
  RunTotals a{.connected = 2, .sent = 10, .lost = 1, .first_connect_ns = 500, .last_connack_ns = 900};
  a.latency.Record(1000);
  RunTotals b{.connected = 3, .sent = 5, .unfinished = 6, .duplicates = 4, .first_connect_ns = 400,
              .last_connack_ns = 800};
  b.latency.Record(3000);
  a.Merge(b);
  EXPECT_EQ(a.connected, 5u);
  EXPECT_EQ(a.sent, 15u);
  EXPECT_EQ(a.lost, 1u);
  EXPECT_EQ(a.unfinished, 6u);
  EXPECT_EQ(a.duplicates, 4u);
  EXPECT_EQ(a.first_connect_ns, 400);
  EXPECT_EQ(a.last_connack_ns, 900);
  EXPECT_EQ(a.latency.count(), 2u);
}

TEST(WorkerProgressTest, SnapshotIsACopyOfThePublishedHistogram) {
  WorkerProgress progress;
  LatencyHistogram h;
  h.Record(5000);
  progress.PublishLatency(h);
  h.Record(7000);
  EXPECT_EQ(progress.LatencySnapshot().count(), 1u);
}

}  // namespace
}  // namespace ringmq::bench
