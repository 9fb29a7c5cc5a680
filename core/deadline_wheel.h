// A hashed timing wheel of deadlines: which of many entries (small trivially-copyable handles) are due
// now, without looking at the ones that are not. Schedule is O(1); PopDue visits only the buckets of
// the ticks that passed since the last call, and the entries in them.
//
// Lazy cancellation: entries are never removed or moved. A shard's hot path (a read updating a
// connection's last activity, a session coming back online) touches no wheel at all; instead, when an
// entry comes due the caller checks whether its object still exists and is really due, acts if so,
// and otherwise schedules it again at its real deadline. A live object then costs one wheel visit per
// deadline period, however much traffic it has, where a scan would visit every object every period.
//
// Entries are kept in chunks of about 4 KiB recycled through a bounded spare list, so a wheel in
// steady state does not allocate per entry, a list grows without copying, and the burst of a connect
// storm is given back once it has been handed out. An entry keeps its deadline as a 32-bit tick
// number (rounded up, so never early), which with its handle makes 16 bytes for a pointer-sized
// handle: at millions of connections, each byte of an entry is megabytes. An entry is never handed out
// before its deadline and at most one tick after it (given PopDue is called at least once a tick).
// Deadlines beyond the wheel's span (tick_ms x slot_count) wait in an overflow list that is looked at
// once per turn of the wheel. Times are non-negative milliseconds (a monotonic clock); a deadline
// more than 2^32 ticks away is handed out at tick 2^32 - 1, which the lazy check above absorbs.
//
// Thread ownership: none of its own; single-threaded, it belongs to whoever owns it (a shard).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace ringmq {

template <class Handle>
class DeadlineWheel {
  static_assert(std::is_trivially_copyable_v<Handle>, "entries are copied around between buckets");

 public:
  // `slot_count` must be a power of two; the wheel spans tick_ms x slot_count milliseconds.
  DeadlineWheel(int64_t tick_ms, size_t slot_count) : tick_ms_(tick_ms), buckets_(slot_count) {
    assert(tick_ms > 0 && slot_count > 0 && (slot_count & (slot_count - 1)) == 0);
  }
  ~DeadlineWheel() {
    for (List& bucket : buckets_) Release(bucket);
    Release(overdue_);
    Release(overflow_);
    while (spare_ != nullptr) delete std::exchange(spare_, spare_->next);
  }
  DeadlineWheel(const DeadlineWheel&) = delete;
  DeadlineWheel& operator=(const DeadlineWheel&) = delete;

  // Hands `handle` to a later PopDue once `deadline_ms` has passed; returns the due time PopDue will
  // pass along with it (the deadline rounded up to a tick). A deadline not after the `now_ms` of the
  // last PopDue is handed out by the next PopDue.
  int64_t Schedule(const Handle& handle, int64_t deadline_ms) {
    ++size_;
    const Entry entry{handle, DueTick(deadline_ms)};
    if (deadline_ms <= now_ms_) {
      Push(overdue_, entry);
    } else {
      Place(entry);
    }
    return DueMs(entry);
  }

  // Calls on_due(handle, due_ms) for every entry whose due time is at or before `now_ms` and
  // removes it. on_due may Schedule (the same handle or others): those entries come due in a later
  // call, never in this one. Returns how many entries were handed out.
  template <class OnDue>
  size_t PopDue(int64_t now_ms, OnDue&& on_due) {
    now_ms = std::max(now_ms, now_ms_);
    now_ms_ = now_ms;
    size_t popped = Drain(overdue_, on_due);
    const int64_t last_due_tick = FloorDiv(now_ms, tick_ms_);
    if (last_due_tick - cursor_ >= static_cast<int64_t>(buckets_.size())) {
      // A jump of more than a whole turn (or the first call): every bucket is due, and the overflow
      // list has to be sorted out against the new cursor.
      for (size_t i = 0; i < buckets_.size(); ++i) popped += Drain(buckets_[SlotOf(cursor_ + i)], on_due);
      cursor_ = last_due_tick + 1;
      popped += ReviewOverflow(on_due);
      return popped;
    }
    for (; cursor_ <= last_due_tick; ++cursor_) {
      if (SlotOf(cursor_) == 0) popped += ReviewOverflow(on_due);
      popped += Drain(buckets_[SlotOf(cursor_)], on_due);
    }
    return popped;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t tick_ms() const { return tick_ms_; }
  int64_t span_ms() const { return tick_ms_ * static_cast<int64_t>(buckets_.size()); }
  // Entries the wheel has memory for (in use or spare): for tests and statistics.
  size_t reserved_entries() const { return chunks_ * kChunkEntries; }

  // Spare chunks kept for the next entries (128 KiB); more are freed, so the
  // burst of a connect storm does not stay reserved.
  static constexpr size_t kMaxSpareChunks = 32;

 private:
  struct Entry {
    Handle handle;
    uint32_t due_tick;  // the first tick at or after the deadline
  };

 public:
  static constexpr size_t kEntryBytes = sizeof(Entry);  // what one scheduled deadline costs

 private:
  // Entries live in fixed chunks of about 4 KiB: a list grows without reallocating and copying (a
  // vector's growth would leave the allocator holding every smaller copy), and chunks move between
  // lists through a bounded spare list instead of returning to the allocator each time.
  static constexpr size_t kChunkEntries = (4096 - 2 * sizeof(void*)) / sizeof(Entry);
  struct Chunk {
    Chunk* next = nullptr;
    size_t count = 0;
    Entry entries[kChunkEntries];
  };
  struct List {
    Chunk* head = nullptr;  // the chunk being filled; older full chunks follow
  };

  static int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
  static int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }
  size_t SlotOf(int64_t tick) const { return static_cast<size_t>(tick) & (buckets_.size() - 1); }
  uint32_t DueTick(int64_t deadline_ms) const {
    return static_cast<uint32_t>(std::clamp<int64_t>(CeilDiv(deadline_ms, tick_ms_), 0, UINT32_MAX));
  }
  int64_t DueMs(const Entry& entry) const { return static_cast<int64_t>(entry.due_tick) * tick_ms_; }

  void Push(List& list, const Entry& entry) {
    if (list.head == nullptr || list.head->count == kChunkEntries) {
      Chunk* chunk = spare_;
      if (chunk != nullptr) {
        spare_ = chunk->next;
        --spare_count_;
      } else {
        chunk = NewChunk();
      }
      chunk->next = list.head;
      chunk->count = 0;
      list.head = chunk;
    }
    list.head->entries[list.head->count++] = entry;
  }

  Chunk* NewChunk() {
    ++chunks_;
    return new Chunk;
  }

  void Recycle(Chunk* chunk) {
    if (spare_count_ < kMaxSpareChunks) {
      chunk->next = spare_;
      spare_ = chunk;
      ++spare_count_;
    } else {
      --chunks_;
      delete chunk;
    }
  }

  void Release(List& list) {
    while (list.head != nullptr) delete std::exchange(list.head, list.head->next);
  }

  // The entry goes to the bucket of the first tick at or after its deadline, so it never comes out
  // early; that tick is always at or after the cursor because the deadline is after now_ms_.
  void Place(const Entry& entry) {
    const int64_t tick = std::max<int64_t>(entry.due_tick, cursor_);
    if (tick - cursor_ >= static_cast<int64_t>(buckets_.size())) {
      Push(overflow_, entry);
    } else {
      Push(buckets_[SlotOf(tick)], entry);
    }
  }

  // Detaches `list` and calls visit(entry) for each of its entries, then recycles its chunks. Entries
  // scheduled meanwhile land in a fresh list, never in the one being visited.
  template <class Visit>
  size_t ForEachTaken(List& list, Visit&& visit) {
    Chunk* chunk = std::exchange(list.head, nullptr);
    size_t count = 0;
    while (chunk != nullptr) {
      for (size_t i = 0; i < chunk->count; ++i) visit(chunk->entries[i]);
      count += chunk->count;
      Recycle(std::exchange(chunk, chunk->next));
    }
    return count;
  }

  template <class OnDue>
  size_t Drain(List& list, OnDue& on_due) {
    return ForEachTaken(list, [&](const Entry& entry) {
      --size_;
      on_due(entry.handle, DueMs(entry));
    });
  }

  // Once per turn: far entries that are now within one turn move to their buckets; any already due
  // (after a time jump) are handed out.
  template <class OnDue>
  size_t ReviewOverflow(OnDue& on_due) {
    size_t popped = 0;
    ForEachTaken(overflow_, [&](const Entry& entry) {
      if (DueMs(entry) <= now_ms_) {
        --size_;
        ++popped;
        on_due(entry.handle, DueMs(entry));
      } else {
        Place(entry);
      }
    });
    return popped;
  }

  const int64_t tick_ms_;
  std::vector<List> buckets_;
  List overdue_;   // deadlines already past when scheduled
  List overflow_;  // deadlines beyond one turn of the wheel
  Chunk* spare_ = nullptr;
  size_t spare_count_ = 0;
  size_t chunks_ = 0;  // allocated, in lists or spare
  int64_t cursor_ = 0;  // the next tick whose bucket is handed out
  int64_t now_ms_ = std::numeric_limits<int64_t>::min();
  size_t size_ = 0;
};

}  // namespace ringmq
