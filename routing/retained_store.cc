#include "routing/retained_store.h"

namespace ringmq {

void RetainedStore::Set(MessageRef msg) {
  std::string_view topic = msg->topic();
  if (msg->payload().empty()) {
    Slot* slot = trie_.Find(topic);
    if (slot == nullptr || slot->empty()) return;
    // `topic` views `msg` (still held here), not the stored message being dropped.
    slot->msg = MessageRef();
    --size_;
    trie_.PruneEmpty(topic);
    return;
  }
  Slot& slot = trie_.FindOrInsert(topic);
  if (slot.empty()) ++size_;
  slot.msg = std::move(msg);
}

const MessageRef* RetainedStore::Find(std::string_view topic) const {
  const Slot* slot = trie_.Find(topic);
  return slot == nullptr || slot->empty() ? nullptr : &slot->msg;
}

}  // namespace ringmq
