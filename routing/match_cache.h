// MatchCache<Value>: a small bounded cache from a topic name to what matching it against a table
// (route table, topic trie) produced. Fleet traffic publishes the same topics over and over, and a
// hit costs one hash and one key compare instead of a level-by-level trie walk.
//
// Invalidation is wholesale and free: every entry records the table generation it was computed at,
// and the caller passes the table's current generation, which the table bumps on every change.
// Eviction is 2-way set associative: a new entry takes the first way of its set and pushes the
// previous one to the second, so two hot topics sharing a set do not evict each other.
// Hits never allocate; a miss reuses the evicted entry's key (and value) storage. The entries are
// allocated by the first Claim(), so an idle shard does not pay for them.
// A topic of up to kShortTopicLength bytes (most fleet topics) is kept inside the slot's first
// cache line beside its hash, so a hit reads that one line instead of following a heap pointer
// (route-cache hit 15.6 -> 10.1 ns in bench/routing/match_cache_bench).
//
// Cache the match, not a decision derived from it: anything that must vary per message (a shared
// subscription's round-robin pick) has to be recomputed on every hit.
//
// Thread ownership: not thread-safe; each instance belongs to one shard thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace ringmq {

template <class Value>
class MatchCache {
 public:
  static constexpr size_t kDefaultCapacity = 4096;
  // Longer topics are not cached, bounding the cache's memory to capacity * this.
  static constexpr size_t kMaxTopicLength = 256;

  // `capacity` (entries) is rounded up to a power of two, at least 2.
  explicit MatchCache(size_t capacity = kDefaultCapacity)
      : capacity_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity)), set_mask_(capacity_ / 2 - 1) {}

  static size_t Hash(std::string_view topic) {
    return absl::Hash<absl::string_view>{}(absl::string_view(topic.data(), topic.size()));
  }

  // The value cached for `topic` (whose Hash() is `hash`) at table generation `generation`, or
  // nullptr. The pointer is valid until the next Claim().
  const Value* Find(std::string_view topic, size_t hash, uint64_t generation) const {
    if (slots_.empty()) return nullptr;
    const Slot* set = &slots_[(hash & set_mask_) * 2];
    for (int way = 0; way < 2; ++way) {
      const Slot& slot = set[way];
      if (slot.hash == hash && slot.generation == generation && slot.Holds(topic)) return &slot.value;
    }
    return nullptr;
  }

  // Makes room for `topic` computed at `generation` and returns its value for the caller to
  // overwrite (it holds an evicted entry's stale content), or nullptr when the topic is too long
  // to cache. Call only after Find() missed.
  Value* Claim(std::string_view topic, size_t hash, uint64_t generation) {
    if (topic.size() > kMaxTopicLength) return nullptr;
    if (slots_.empty()) slots_.resize(capacity_);
    Slot* set = &slots_[(hash & set_mask_) * 2];
    // An entry of an older generation is dead: overwrite it in place. Otherwise the first way's
    // entry moves to the second (evicting that one), so the newest entry is always first.
    if (set[0].generation == generation) std::swap(set[0], set[1]);
    Slot& slot = set[0];
    slot.SetTopic(topic);
    slot.hash = hash;
    slot.generation = generation;
    return &slot.value;
  }

  // Forgets every entry; for tables whose generation can go back (a replaced table).
  void Clear() {
    for (Slot& slot : slots_) slot.generation = kEmpty;
  }

  size_t capacity() const { return capacity_; }

  // Entries valid at `generation`. Scans the cache: for tests and statistics, not the hot path.
  size_t CountValid(uint64_t generation) const {
    size_t count = 0;
    for (const Slot& slot : slots_) count += slot.generation == generation ? 1 : 0;
    return count;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no table reaches this generation
  static constexpr size_t kShortTopicLength = 44;  // fills the first line after hash, generation, size

  // glibc's memcmp reads a short key with one masked 32-byte vector load; in fan-in, perf put
  // 14-17 % of the broker's samples on that load, waiting on the topic just written. Word compares
  // avoid it. (The samples then moved to the next wait, so the gain is the A/B run's +8 % for this
  // and the reference-count change together, not a missing 17 %.)
  static uint64_t Word(const char* p) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
  }
  static bool SameShortBytes(const char* a, const char* b, size_t n) {
    if (n < sizeof(uint64_t)) {
      unsigned diff = 0;
      for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
      return diff == 0;
    }
    for (size_t i = 0; i + sizeof(uint64_t) < n; i += sizeof(uint64_t)) {
      if (Word(a + i) != Word(b + i)) return false;
    }
    return Word(a + n - sizeof(uint64_t)) == Word(b + n - sizeof(uint64_t));  // overlaps the last word
  }

  // One cache line for the probe of a short key: hash, generation and the key together.
  struct alignas(64) Slot {
    size_t hash = 0;
    uint64_t generation = kEmpty;
    uint32_t topic_size = 0;
    char short_topic[kShortTopicLength] = {};
    std::string long_topic;  // the key when longer than kShortTopicLength
    Value value{};

    bool Holds(std::string_view topic) const {
      if (topic.size() != topic_size) return false;
      if (topic_size > kShortTopicLength) return std::memcmp(long_topic.data(), topic.data(), topic_size) == 0;
      return SameShortBytes(short_topic, topic.data(), topic_size);
    }
    void SetTopic(std::string_view topic) {
      topic_size = static_cast<uint32_t>(topic.size());
      if (topic.size() <= kShortTopicLength) {
        std::memcpy(short_topic, topic.data(), topic.size());
      } else {
        long_topic.assign(topic);
      }
    }
  };

  size_t capacity_;
  size_t set_mask_;
  std::vector<Slot> slots_;  // sets of two ways; empty until the first Claim()
};

}  // namespace ringmq
