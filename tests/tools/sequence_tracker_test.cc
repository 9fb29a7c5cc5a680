#include "tools/bench/sequence_tracker.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace ringmq::bench {
namespace {

using Arrival = SequenceTracker::Arrival;

// A tracker that has observed `sequences`, in order.
SequenceTracker TrackerAfter(std::initializer_list<uint64_t> sequences) {
  SequenceTracker t;
  for (uint64_t s : sequences) t.Observe(s);
  return t;
}

TEST(SequenceTrackerTest, InOrderStreamHasNoAnomalies) {
  SequenceTracker t;
  for (uint64_t s = 0; s < 10'000; ++s) EXPECT_EQ(t.Observe(s), Arrival::kInOrder);
  EXPECT_EQ(t.unique(), 10'000u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.reordered(), 0u);
  EXPECT_EQ(t.LostOf(10'000), 0u);
  EXPECT_EQ(t.LostBelowHighest(), 0u);
}

TEST(SequenceTrackerTest, GapIsLostUnlessFilled) {
  SequenceTracker t = TrackerAfter({0, 1, 4});
  EXPECT_EQ(t.LostOf(5), 2u);
  EXPECT_EQ(t.LostBelowHighest(), 2u);
  EXPECT_EQ(t.Observe(2), Arrival::kReordered);
  EXPECT_EQ(t.LostOf(5), 1u);
  EXPECT_EQ(t.reordered(), 1u);
}

TEST(SequenceTrackerTest, TailLossNeedsTheSentCount) {
  SequenceTracker t;
  for (uint64_t s = 0; s < 10; ++s) t.Observe(s);
  EXPECT_EQ(t.LostBelowHighest(), 0u);
  EXPECT_EQ(t.LostOf(15), 5u);
}

TEST(SequenceTrackerTest, MessagesAfterTheLastArrivalAreUnfinishedNotLost) {
  // 0..9 sent, 0, 1, 4 received: 2 and 3 were overtaken (lost), 5..9 may still be on their way.
  SequenceTracker t = TrackerAfter({0, 1, 4});
  EXPECT_EQ(t.LostBelowHighest(), 2u);
  EXPECT_EQ(t.UnfinishedOf(10), 5u);
  EXPECT_EQ(t.LostBelowHighest() + t.UnfinishedOf(10), t.LostOf(10));
  EXPECT_EQ(t.UnfinishedOf(5), 0u);  // everything up to the highest arrived or is a gap
  EXPECT_EQ(SequenceTracker{}.UnfinishedOf(3), 3u);
}

TEST(SequenceTrackerTest, DuplicatesAreCountedOnce) {
  SequenceTracker t = TrackerAfter({0, 1});
  EXPECT_EQ(t.Observe(1), Arrival::kDuplicate);
  EXPECT_EQ(t.Observe(0), Arrival::kDuplicate);
  EXPECT_EQ(t.duplicates(), 2u);
  EXPECT_EQ(t.unique(), 2u);
}

TEST(SequenceTrackerTest, ReorderedArrivalSeenTwiceIsADuplicate) {
  SequenceTracker t = TrackerAfter({0, 5});
  EXPECT_EQ(t.Observe(3), Arrival::kReordered);
  EXPECT_EQ(t.Observe(3), Arrival::kDuplicate);
}

TEST(SequenceTrackerTest, WindowSlotsOfSkippedNumbersAreCleared) {
  // Sequence 1 and 1 + kWindow share a slot: a gap over it must not look like a duplicate later.
  SequenceTracker t = TrackerAfter({0, 1, SequenceTracker::kWindow + 2});
  EXPECT_EQ(t.Observe(SequenceTracker::kWindow + 1), Arrival::kReordered);
}

TEST(SequenceTrackerTest, HugeGapClearsTheWindow) {
  SequenceTracker t;
  for (uint64_t s = 0; s < 100; ++s) t.Observe(s);
  const uint64_t far = 100 + 10 * SequenceTracker::kWindow;
  t.Observe(far);
  EXPECT_EQ(t.Observe(far - 1), Arrival::kReordered);
  EXPECT_EQ(t.LostOf(far + 1), far + 1 - 102);
}

TEST(SequenceTrackerTest, StreamJoinedMidwayCountsEarlierNumbersAsGaps) {
  SequenceTracker t;
  EXPECT_EQ(t.Observe(50), Arrival::kInOrder);
  EXPECT_EQ(t.LostBelowHighest(), 50u);
}

}  // namespace
}  // namespace ringmq::bench
