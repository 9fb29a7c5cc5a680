// Byte-string helpers that work a machine word at a time, for the short strings (topic levels, cached
// topics) compared on the publish path, where a call to memcmp costs more than the comparison.
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringmq {

// The 8 bytes at `bytes`, in memory order (unaligned loads are fine on the targets we build for).
inline uint64_t Load8(const char* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, 8);
  return word;
}

// Equality of two strings of `size` bytes: words, then the tail as one overlapping word.
inline bool SameBytes(const char* a, const char* b, size_t size) {
  if (size < 8) {
    for (size_t i = 0; i < size; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  for (size_t i = 0; i + 8 <= size; i += 8) {
    if (Load8(a + i) != Load8(b + i)) return false;
  }
  return Load8(a + size - 8) == Load8(b + size - 8);
}

}  // namespace ringmq
