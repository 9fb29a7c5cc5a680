// SequenceTracker: what one subscriber received from one publisher, judged by the per-publisher
// sequence numbers in the payload stamps. O(1) per message: the highest sequence seen plus a ring
// bitmap of the last kWindow sequence numbers.
//
//   duplicate  a sequence number seen before (within the window, or equal to the highest)
//   reordered  a first arrival below the highest sequence seen so far (it filled a gap)
//   lost       sequence numbers never received although a later one was: gaps below the highest
//   unfinished sequence numbers after the highest received one, never received by the end: still in
//              flight when the run stopped (or lost at the very end, which the order cannot tell)
//
// An arrival older than the window cannot be checked for duplication; it is counted as reordered and
// unique (it is rare: the window covers kWindow messages of one publisher).
//
// Thread ownership: owned by the worker thread of the subscribing client.
#pragma once

#include <array>
#include <cstdint>

namespace ringmq::bench {

class SequenceTracker {
 public:
  static constexpr uint64_t kWindow = 2048;

  enum class Arrival : uint8_t { kInOrder, kReordered, kDuplicate };
  Arrival Observe(uint64_t sequence);

  uint64_t unique() const { return unique_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  // Number of sequence numbers never seen out of the first `expected` (the publisher's sent count).
  uint64_t LostOf(uint64_t expected) const { return expected > unique_ ? expected - unique_ : 0; }
  // Sequence numbers never seen below the highest one seen (a later message of the publisher came).
  uint64_t LostBelowHighest() const { return LostOf(SeenThrough()); }
  // Of the first `expected`, those after the highest one seen: none of them arrived.
  uint64_t UnfinishedOf(uint64_t expected) const {
    return expected > SeenThrough() ? expected - SeenThrough() : 0;
  }

 private:
  uint64_t SeenThrough() const { return has_any_ ? highest_ + 1 : 0; }
  bool Test(uint64_t sequence) const;
  void Set(uint64_t sequence);
  void Clear(uint64_t sequence);

  std::array<uint64_t, kWindow / 64> seen_bits_{};
  uint64_t highest_ = 0;
  bool has_any_ = false;
  uint64_t unique_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
};

}  // namespace ringmq::bench
