// AclCheckCache: a shard's memory of recent ACL answers, keyed by (binding serial, topic), for the
// publish and delivery paths where a client repeats the same topics (telemetry, a subscription's
// stream). A hit costs a hash of the topic and a compare of at most 52 bytes instead of a walk of
// the rule tries; topics longer than that are checked without the cache.
//
// Two-way set-associative: a slot holds one (serial, topic) with the answers learnt for it so far
// (read and write are cached separately); a key whose two slots are taken evicts one at random. Serials are never reused, so entries of
// closed sessions just age out, and a reloaded AclFile (new bindings, new serials) never sees the old
// answers. 64 bytes a slot: 1,024 slots are 64 KiB.
//
// Thread ownership: one per shard thread; not thread-safe. Use it only with bindings made by the
// AclFile passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/acl.h"

namespace ringmq {

class AclCheckCache {
 public:
  // `slots` is rounded up to a power of two (at least 2).
  explicit AclCheckCache(size_t slots);

  bool MayPublish(const AclFile& acl, const AclBinding& binding, std::string_view topic) {
    return Check(acl, binding, topic, kAclWrite);
  }
  bool MayReceive(const AclFile& acl, const AclBinding& binding, std::string_view topic) {
    return Check(acl, binding, topic, kAclRead);
  }

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  size_t slot_count() const { return slots_.size(); }

  static constexpr size_t kMaxTopicSize = 52;

 private:
  struct alignas(64) Slot {
    uint64_t serial = 0;  // 0: empty (bindings start at 1)
    uint16_t topic_size = 0;
    uint8_t known = 0;    // access bits answered so far
    uint8_t allowed = 0;  // which of them were allowed
    char topic[kMaxTopicSize];
  };
  static_assert(sizeof(Slot) == 64);

  bool Check(const AclFile& acl, const AclBinding& binding, std::string_view topic, uint8_t access);
  Slot& SlotFor(uint64_t serial, std::string_view topic);
  static bool Holds(const Slot& slot, uint64_t serial, std::string_view topic);

  std::vector<Slot> slots_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace ringmq
