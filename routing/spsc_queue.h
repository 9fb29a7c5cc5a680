// SpscQueue: a bounded, lock-free, single-producer / single-consumer ring used to hand work
// (e.g. MessageRef deliveries, RouteDelta broadcasts) from one shard thread to another.
//
// Thread ownership: exactly one producer thread calls TryPush/Publish/FreeSlots, exactly one
// consumer thread calls ConsumeBatch/Empty. Construction and destruction must happen while neither
// side is running (e.g. before the shard threads start / after they are joined).
//
// Pushes are batched: TryPush writes the slot but the consumer only sees it after Publish(), which
// is one release store however many items were pushed. Each side keeps a private cached copy of the
// other side's index and only re-reads the shared one when the cache says "full" / "not enough",
// so in steady state the two cores rarely touch each other's cache lines.
#pragma once

#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace ringmq {

template <class T>
class SpscQueue {
 public:
  // `capacity` should be a power of two (asserted); release builds round it up to one.
  explicit SpscQueue(size_t capacity)
      : capacity_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity)),
        slots_(std::make_unique<Slot[]>(capacity_)) {
    assert(std::has_single_bit(capacity) && "SpscQueue capacity must be a power of two");
    producer_.mask = consumer_.mask = capacity_ - 1;
    producer_.slots = consumer_.slots = slots_.get();
  }

  ~SpscQueue() {
    // Everything pushed (published or not) and not consumed is still alive in its slot.
    for (size_t i = consumer_.head; i != producer_.pending_tail; ++i) Destroy(slots_[i & (capacity_ - 1)]);
  }

  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  size_t capacity() const { return capacity_; }

  // ---- producer side ----

  // Moves `item` into the next free slot; invisible to the consumer until Publish(). Returns false
  // (leaving `item` untouched) when the ring is full.
  bool TryPush(T&& item) {
    if (producer_.pending_tail - producer_.cached_head == capacity_) {
      producer_.cached_head = head_.value.load(std::memory_order_acquire);
      if (producer_.pending_tail - producer_.cached_head == capacity_) return false;
    }
    ::new (static_cast<void*>(producer_.slots[producer_.pending_tail & producer_.mask].bytes)) T(std::move(item));
    ++producer_.pending_tail;
    return true;
  }

  // Makes every item pushed so far visible to the consumer.
  void Publish() { tail_.value.store(producer_.pending_tail, std::memory_order_release); }

  // Slots the producer can still push into (refreshes the cached consumer position).
  size_t FreeSlots() {
    producer_.cached_head = head_.value.load(std::memory_order_acquire);
    return capacity_ - (producer_.pending_tail - producer_.cached_head);
  }

  // ---- consumer side ----

  // Calls f(T&&) for up to `max` published items in FIFO order, then frees their slots with one
  // release store. Returns how many items were consumed.
  template <class F>
  size_t ConsumeBatch(F&& f, size_t max) {
    size_t head = consumer_.head;
    if (consumer_.cached_tail - head < max) consumer_.cached_tail = tail_.value.load(std::memory_order_acquire);
    size_t available = consumer_.cached_tail - head;
    size_t count = available < max ? available : max;
    for (size_t i = 0; i < count; ++i, ++head) {
      Slot& slot = consumer_.slots[head & consumer_.mask];
      f(std::move(*slot.item()));
      Destroy(slot);
    }
    if (count != 0) {
      consumer_.head = head;
      head_.value.store(head, std::memory_order_release);
    }
    return count;
  }

  // True when no published item is waiting.
  bool Empty() {
    if (consumer_.cached_tail != consumer_.head) return false;
    consumer_.cached_tail = tail_.value.load(std::memory_order_acquire);
    return consumer_.cached_tail == consumer_.head;
  }

 private:
  struct Slot {
    alignas(T) unsigned char bytes[sizeof(T)];
    T* item() { return std::launder(reinterpret_cast<T*>(bytes)); }
  };
  static void Destroy(Slot& slot) {
    if constexpr (!std::is_trivially_destructible_v<T>) slot.item()->~T();
  }

  // Shared indices, each alone on its cache line: written by one side, read by the other.
  struct alignas(64) SharedIndex {
    std::atomic<size_t> value{0};
  };
  // Private state of each side, on its own line so the other side never pulls it.
  struct alignas(64) ProducerState {
    size_t pending_tail = 0;  // next slot to write; published up to tail_
    size_t cached_head = 0;
    size_t mask = 0;
    Slot* slots = nullptr;
  };
  struct alignas(64) ConsumerState {
    size_t head = 0;  // next slot to read; mirrored to head_ after each batch
    size_t cached_tail = 0;
    size_t mask = 0;
    Slot* slots = nullptr;
  };

  const size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  SharedIndex tail_;  // written by the producer in Publish()
  SharedIndex head_;  // written by the consumer after each batch
  ProducerState producer_;
  ConsumerState consumer_;
};

}  // namespace ringmq
