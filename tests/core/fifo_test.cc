#include "core/fifo.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace ringmq {
namespace {

TEST(FifoTest, EmptyOwnsNothing) {
  Fifo<std::string> fifo;
  EXPECT_TRUE(fifo.empty());
  EXPECT_EQ(fifo.size(), 0u);
  EXPECT_LE(sizeof(fifo), 32u);
}

TEST(FifoTest, AnEmptiedQueueKeepsItsBufferUntilShrunk) {
  Fifo<int> fifo;
  for (int i = 0; i < 100; ++i) fifo.push_back(i);
  const size_t grown = fifo.capacity();
  EXPECT_GE(grown, 100u);
  while (!fifo.empty()) fifo.pop_front();
  EXPECT_EQ(fifo.capacity(), grown);  // a window that drains and refills does not regrow each time
  fifo.ShrinkIfEmpty();
  EXPECT_EQ(fifo.capacity(), 0u);
}

TEST(FifoTest, ShrinkKeepsASmallBufferAndNeverDropsElements) {
  Fifo<int> fifo;
  fifo.push_back(1);
  fifo.pop_front();
  fifo.ShrinkIfEmpty();
  EXPECT_GT(fifo.capacity(), 0u);  // one-at-a-time traffic keeps its small buffer
  for (int i = 0; i < 10; ++i) fifo.push_back(i);
  fifo.ShrinkIfEmpty();
  ASSERT_EQ(fifo.size(), 10u);
  EXPECT_EQ(fifo.front(), 0);
}

TEST(FifoTest, KeepsOrderAcrossWrapAroundAndGrowth) {
  Fifo<int> fifo;
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 3 + round % 7; ++i) fifo.push_back(next_in++);
    for (int i = 0; i < 2 + round % 5 && !fifo.empty(); ++i) {
      EXPECT_EQ(fifo.front(), next_out++);
      fifo.pop_front();
    }
  }
  while (!fifo.empty()) {
    EXPECT_EQ(fifo.front(), next_out++);
    fifo.pop_front();
  }
  EXPECT_EQ(next_in, next_out);
}

TEST(FifoTest, EraseAtKeepsOrder) {
  Fifo<int> fifo;
  for (int i = 0; i < 6; ++i) fifo.push_back(i);
  fifo.erase_at(2);
  ASSERT_EQ(fifo.size(), 5u);
  const int expected[] = {0, 1, 3, 4, 5};
  for (size_t i = 0; i < fifo.size(); ++i) EXPECT_EQ(fifo[i], expected[i]);
}

TEST(FifoTest, EraseIfRemovesMatchesAndReportsCount) {
  Fifo<int> fifo;
  for (int i = 0; i < 10; ++i) fifo.push_back(i);
  EXPECT_EQ(fifo.erase_if([](int v) { return v % 3 == 0; }), 4u);
  ASSERT_EQ(fifo.size(), 6u);
  EXPECT_EQ(fifo[0], 1);
  EXPECT_EQ(fifo.back(), 8);
}

TEST(FifoTest, ReleasesElementsWhenPopped) {
  auto tracked = std::make_shared<int>(1);
  Fifo<std::shared_ptr<int>> fifo;
  fifo.push_back(tracked);
  EXPECT_EQ(tracked.use_count(), 2);
  fifo.pop_front();
  EXPECT_EQ(tracked.use_count(), 1);
}

TEST(FifoTest, MoveTransfersContents) {
  Fifo<int> a;
  a.push_back(7);
  Fifo<int> b = std::move(a);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.front(), 7);
  EXPECT_TRUE(a.empty());
}

}  // namespace
}  // namespace ringmq
