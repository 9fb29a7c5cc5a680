#include "net/loop_clock.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(LoopClock, SplitsEachIntervalIntoBusyOrWait) {
  ShardStats stats;
  LoopClock clock;
  clock.StartTurn(1000, stats);  // the first mark: nothing before it is counted
  EXPECT_EQ(stats.loop_busy_ns.Get(), 0u);
  clock.StartWait(1300, stats);  // worked 300
  clock.StartTurn(2300, stats);  // waited 1000
  clock.StartTurn(2400, stats);  // a turn that did not wait: worked 100
  clock.StartWait(2450, stats);  // worked 50
  clock.StartTurn(2500, stats);  // waited 50
  EXPECT_EQ(stats.loop_busy_ns.Get(), 450u);
  EXPECT_EQ(stats.loop_wait_ns.Get(), 1050u);
  EXPECT_EQ(stats.loop_busy_ns.Get() + stats.loop_wait_ns.Get(), 2500u - 1000u);  // every ns, once
}

TEST(LoopClock, ClockNotMovingForwardCountsNothing) {
  ShardStats stats;
  LoopClock clock;
  clock.StartTurn(500, stats);
  clock.StartWait(500, stats);
  clock.StartTurn(400, stats);
  EXPECT_EQ(stats.loop_busy_ns.Get(), 0u);
  EXPECT_EQ(stats.loop_wait_ns.Get(), 0u);
}

}  // namespace
}  // namespace ringmq
