// RetainedStore: the retained message of every topic that has one, looked up by topic filter when
// a client subscribes.
//
// Thread ownership: each shard holds one replica, owned by that shard's thread. The messages are
// shared (MessageRef), so replicas cost one trie entry per topic per shard, not a payload copy.
// Expiry is left to the caller (Message::ExpiredAt) because it depends on the shard's clock.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "core/message.h"
#include "routing/level_trie.h"

namespace ringmq {

class RetainedStore {
 public:
  // Retains `msg` under its topic, replacing the previous one; an empty payload clears the topic.
  // `msg` must not be null.
  void Set(MessageRef msg);

  // The message retained under exactly `topic`, or nullptr.
  const MessageRef* Find(std::string_view topic) const;

  // Calls f(const MessageRef&) for every retained message whose topic matches `filter` (wildcards
  // allowed; a `$` topic is not matched by a filter starting with a wildcard). A `#` walks only the
  // subtree under its parent, a `+` only the children at that level.
  template <class F>
  void Match(std::string_view filter, F&& f) const {
    trie_.ForEachTopicMatching(filter, [&f](const Slot& slot) { f(slot.msg); });
  }

  // Topics with a retained message.
  size_t size() const { return size_; }

 private:
  struct Slot {
    MessageRef msg;
    bool empty() const { return !msg; }
  };

  LevelTrie<Slot> trie_;
  size_t size_ = 0;
};

}  // namespace ringmq
