// Which shard is home to a client id (its session lives there) or to a retained topic (it orders
// updates of that topic). FNV-1a 64-bit, documented in README so tests and tools can predict it.
// Thread ownership: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringmq {

constexpr uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

constexpr int HomeShard(std::string_view key, int shard_count) {
  return static_cast<int>(Fnv1a64(key) % static_cast<uint64_t>(shard_count));
}

}  // namespace ringmq
