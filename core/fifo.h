// A first-in first-out queue on one growable circular buffer. Unlike std::deque (which allocates a
// map and a 512-byte block as soon as it is constructed), an empty Fifo owns no memory at all, which
// matters for the many idle sessions of a fleet broker. An emptied queue keeps its buffer (a QoS 1
// window that drains and refills would otherwise regrow it every time: 5 % of broker CPU, measured);
// its owner hands a burst's buffer back with ShrinkIfEmpty once the traffic has stopped.
// Thread ownership: none of its own; it belongs to whoever owns the containing object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace ringmq {

template <class T>
class Fifo {
 public:
  Fifo() = default;
  Fifo(Fifo&& other) noexcept { *this = std::move(other); }
  Fifo& operator=(Fifo&& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~Fifo() { clear(); }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  T& front() { return slots_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  T& operator[](size_t i) { return slots_[(head_ + i) & (capacity_ - 1)]; }
  const T& operator[](size_t i) const { return slots_[(head_ + i) & (capacity_ - 1)]; }

  void push_back(T value) {
    if (size_ == capacity_) Grow();
    (*this)[size_] = std::move(value);
    ++size_;
  }
  void pop_front() {
    slots_[head_] = T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  // Removes element i, keeping the order of the others.
  void erase_at(size_t i) {
    for (size_t j = i; j + 1 < size_; ++j) (*this)[j] = std::move((*this)[j + 1]);
    (*this)[size_ - 1] = T();
    --size_;
  }
  template <class Predicate>
  size_t erase_if(Predicate&& remove) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      if (remove((*this)[i])) continue;
      if (kept != i) (*this)[kept] = std::move((*this)[i]);
      ++kept;
    }
    const size_t removed = size_ - kept;
    for (size_t i = kept; i < size_; ++i) (*this)[i] = T();
    size_ = static_cast<uint32_t>(kept);
    return removed;
  }
  void clear() {
    size_ = 0;
    Release();
  }
  // Gives back the buffer of a burst; a small one stays, so one-at-a-time traffic does not allocate.
  void ShrinkIfEmpty() {
    if (size_ == 0 && capacity_ > kKeptCapacity) Release();
  }

 private:
  void Grow() {
    const uint32_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
    std::unique_ptr<T[]> slots(new T[capacity]);
    for (size_t i = 0; i < size_; ++i) slots[i] = std::move((*this)[i]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }
  void Release() {
    slots_.reset();
    capacity_ = 0;
    head_ = 0;
  }

  static constexpr size_t kKeptCapacity = 4;
  std::unique_ptr<T[]> slots_;
  // 32-bit positions keep the queue at 24 bytes; it never holds anywhere near 2^32 elements.
  uint32_t capacity_ = 0;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

}  // namespace ringmq
