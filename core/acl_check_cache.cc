#include "core/acl_check_cache.h"

#include <bit>
#include <cstring>

#include "core/word_bytes.h"

namespace ringmq {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15;

uint64_t Mix(uint64_t hash, uint64_t word) { return (hash ^ word) * kGolden; }

// A fast word-at-a-time hash: the key is not attacker-chosen alone (the serial is the broker's),
// and a collision only costs a miss, never a wrong answer.
uint64_t HashKey(uint64_t serial, std::string_view topic) {
  uint64_t hash = Mix(kGolden, serial + topic.size());
  size_t i = 0;
  for (; i + 8 <= topic.size(); i += 8) {
    hash = Mix(hash, Load8(topic.data() + i));
  }
  if (i < topic.size()) {
    uint64_t word = 0;
    if (topic.size() >= 8) {
      word = Load8(topic.data() + topic.size() - 8);  // the last 8 bytes, overlapping
    } else {
      for (size_t j = 0; j < topic.size(); ++j) word |= uint64_t{static_cast<unsigned char>(topic[j])} << (8 * j);
    }
    hash = Mix(hash, word);
  }
  return hash ^ (hash >> 29);
}

}  // namespace

AclCheckCache::AclCheckCache(size_t slots) : slots_(std::bit_ceil(slots < 2 ? size_t{2} : slots)) {}

bool AclCheckCache::Holds(const Slot& slot, uint64_t serial, std::string_view topic) {
  return slot.serial == serial && slot.topic_size == topic.size() && SameBytes(slot.topic, topic.data(), topic.size());
}

AclCheckCache::Slot& AclCheckCache::SlotFor(uint64_t serial, std::string_view topic) {
  const uint64_t hash = HashKey(serial, topic);
  Slot* const set = &slots_[hash & (slots_.size() - 2)];  // two slots, one 128-byte pair of lines
  if (Holds(set[0], serial, topic)) return set[0];
  if (Holds(set[1], serial, topic)) return set[1];
  if (set[0].serial == 0) return set[0];
  if (set[1].serial == 0) return set[1];
  return set[hash >> 63];  // both taken by other keys: evict one at random
}

bool AclCheckCache::Check(const AclFile& acl, const AclBinding& binding, std::string_view topic, uint8_t access) {
  auto ask = [&] { return access == kAclWrite ? acl.MayPublish(binding, topic) : acl.MayReceive(binding, topic); };
  if (topic.size() > kMaxTopicSize || binding.serial() == 0) return ask();
  Slot& slot = SlotFor(binding.serial(), topic);
  const bool same_key = Holds(slot, binding.serial(), topic);
  if (same_key && (slot.known & access) != 0) {
    ++hits_;
    return (slot.allowed & access) != 0;
  }
  ++misses_;
  const bool allowed = ask();
  if (!same_key) {
    slot.serial = binding.serial();
    slot.topic_size = static_cast<uint16_t>(topic.size());
    std::memcpy(slot.topic, topic.data(), topic.size());
    slot.known = 0;
    slot.allowed = 0;
  }
  slot.known |= access;
  if (allowed) slot.allowed |= access;
  return allowed;
}

}  // namespace ringmq
