#include "core/acl_check_cache.h"

#include <bit>
#include <cstring>

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
    uint64_t word;
    std::memcpy(&word, topic.data() + i, 8);
    hash = Mix(hash, word);
  }
  if (i < topic.size()) {
    uint64_t word = 0;
    std::memcpy(&word, topic.data() + i, topic.size() - i);
    hash = Mix(hash, word);
  }
  return hash ^ (hash >> 29);
}

// Inline word compares: topics here are at most 52 bytes, where a memcmp call costs more.
bool SameBytes(const char* a, const char* b, size_t size) {
  for (; size >= 8; size -= 8, a += 8, b += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  for (; size > 0; --size, ++a, ++b) {
    if (*a != *b) return false;
  }
  return true;
}

}  // namespace

AclCheckCache::AclCheckCache(size_t slots) : slots_(std::bit_ceil(slots < 1 ? size_t{1} : slots)) {}

AclCheckCache::Slot& AclCheckCache::SlotFor(uint64_t serial, std::string_view topic) {
  return slots_[HashKey(serial, topic) & (slots_.size() - 1)];
}

bool AclCheckCache::Check(const AclFile& acl, const AclBinding& binding, std::string_view topic, uint8_t access) {
  auto ask = [&] { return access == kAclWrite ? acl.MayPublish(binding, topic) : acl.MayReceive(binding, topic); };
  if (topic.size() > kMaxTopicSize || binding.serial() == 0) return ask();
  Slot& slot = SlotFor(binding.serial(), topic);
  const bool same_key = slot.serial == binding.serial() && slot.topic_size == topic.size() &&
                        SameBytes(slot.topic, topic.data(), topic.size());
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
