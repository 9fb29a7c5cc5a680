#include "tools/bench/sequence_tracker.h"

namespace ringmq::bench {

bool SequenceTracker::Test(uint64_t sequence) const {
  const uint64_t slot = sequence % kWindow;
  return (seen_bits_[slot / 64] >> (slot % 64)) & 1;
}

void SequenceTracker::Set(uint64_t sequence) {
  const uint64_t slot = sequence % kWindow;
  seen_bits_[slot / 64] |= uint64_t{1} << (slot % 64);
}

void SequenceTracker::Clear(uint64_t sequence) {
  const uint64_t slot = sequence % kWindow;
  seen_bits_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
}

SequenceTracker::Arrival SequenceTracker::Observe(uint64_t sequence) {
  if (!has_any_ || sequence > highest_) {
    // Slots of the skipped sequence numbers still hold bits from kWindow numbers ago: clear them so a
    // late arrival is not mistaken for a duplicate. A gap wider than the window clears everything.
    const uint64_t first_skipped = has_any_ ? highest_ + 1 : 0;
    const uint64_t gap = sequence - first_skipped;
    if (gap >= kWindow) {
      seen_bits_.fill(0);
    } else {
      for (uint64_t s = first_skipped; s < sequence; ++s) Clear(s);
    }
    Set(sequence);
    highest_ = sequence;
    has_any_ = true;
    ++unique_;
    return Arrival::kInOrder;
  }
  if (sequence == highest_) {
    ++duplicates_;
    return Arrival::kDuplicate;
  }
  const bool in_window = highest_ - sequence < kWindow;
  if (in_window && Test(sequence)) {
    ++duplicates_;
    return Arrival::kDuplicate;
  }
  if (in_window) Set(sequence);
  ++unique_;
  ++reordered_;
  return Arrival::kReordered;
}

}  // namespace ringmq::bench
