#include "routing/spsc_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace ringmq {
namespace {

std::vector<int> DrainAll(SpscQueue<int>& queue) {
  std::vector<int> out;
  queue.ConsumeBatch([&out](int&& v) { out.push_back(v); }, 1000);
  return out;
}

TEST(SpscQueueTest, StartsEmptyWithFullCapacityFree) {
  SpscQueue<int> queue(8);
  EXPECT_EQ(queue.capacity(), 8u);
  EXPECT_TRUE(queue.Empty());
  EXPECT_EQ(queue.FreeSlots(), 8u);
  EXPECT_TRUE(DrainAll(queue).empty());
}

TEST(SpscQueueTest, PushedItemsInvisibleUntilPublish) {
  SpscQueue<int> queue(8);
  ASSERT_TRUE(queue.TryPush(1));
  ASSERT_TRUE(queue.TryPush(2));
  EXPECT_TRUE(queue.Empty());
  EXPECT_TRUE(DrainAll(queue).empty());
  queue.Publish();
  EXPECT_FALSE(queue.Empty());
  EXPECT_EQ(DrainAll(queue), (std::vector<int>{1, 2}));
  EXPECT_TRUE(queue.Empty());
}

TEST(SpscQueueTest, RejectsPushWhenFullAndFreesSlotsAfterConsume) {
  SpscQueue<int> queue(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.TryPush(int{i}));
  EXPECT_FALSE(queue.TryPush(99));
  EXPECT_EQ(queue.FreeSlots(), 0u);
  queue.Publish();
  std::vector<int> seen;
  EXPECT_EQ(queue.ConsumeBatch([&seen](int&& v) { seen.push_back(v); }, 3), 3u);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(queue.FreeSlots(), 3u);
  EXPECT_TRUE(queue.TryPush(4));
}

TEST(SpscQueueTest, WrapsAroundPreservingOrder) {
  SpscQueue<int> queue(4);
  std::vector<int> seen;
  int next = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.TryPush(next++));
    queue.Publish();
    queue.ConsumeBatch([&seen](int&& v) { seen.push_back(v); }, 3);
  }
  ASSERT_EQ(seen.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(seen[i], i);
}

TEST(SpscQueueTest, ConsumeBatchHonoursMax) {
  SpscQueue<int> queue(16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(queue.TryPush(int{i}));
  queue.Publish();
  int calls = 0;
  EXPECT_EQ(queue.ConsumeBatch([&calls](int&&) { ++calls; }, 4), 4u);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(queue.ConsumeBatch([&calls](int&&) { ++calls; }, 100), 6u);
  EXPECT_EQ(calls, 10);
  EXPECT_EQ(queue.ConsumeBatch([&calls](int&&) { ++calls; }, 0), 0u);
}

TEST(SpscQueueTest, MovesItemsInAndOutAndDestroysLeftovers) {
  auto tracker = std::make_shared<int>(0);
  {
    SpscQueue<std::shared_ptr<int>> queue(8);
    for (int i = 0; i < 5; ++i) {
      auto copy = tracker;
      ASSERT_TRUE(queue.TryPush(std::move(copy)));
      EXPECT_EQ(copy, nullptr);  // moved in, not copied
    }
    EXPECT_EQ(tracker.use_count(), 6);
    queue.Publish();
    std::shared_ptr<int> taken;
    queue.ConsumeBatch([&taken](std::shared_ptr<int>&& p) { taken = std::move(p); }, 2);
    EXPECT_EQ(tracker.use_count(), 5);  // two consumed: one moved out and kept, one dropped
    ASSERT_TRUE(queue.TryPush(std::shared_ptr<int>(tracker)));  // unpublished leftover
  }
  EXPECT_EQ(tracker.use_count(), 1);
}

TEST(SpscQueueTest, TwoThreadsTransferTenMillionInOrder) {
  constexpr uint64_t kCount = 10'000'000;
  SpscQueue<uint64_t> queue(1024);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::thread producer([&queue, deadline] {
    uint64_t next = 0;
    while (next < kCount && std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < 32 && next < kCount; ++i) {
        if (!queue.TryPush(uint64_t{next})) break;
        ++next;
      }
      queue.Publish();
    }
  });
  uint64_t expected = 0;
  bool in_order = true;
  size_t polls = 0;
  while (expected < kCount && (++polls % 1024 != 0 || std::chrono::steady_clock::now() < deadline)) {
    queue.ConsumeBatch(
        [&](uint64_t&& v) {
          in_order &= (v == expected);
          ++expected;
        },
        256);
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(queue.Empty());
}

}  // namespace
}  // namespace ringmq
