#include "routing/retained_store.h"

#include "routing/topic_levels.h"

namespace ringmq {
namespace {

size_t BytesOf(const Message& msg) {
  return msg.topic().size() + msg.passthrough_properties().size() + msg.payload().size();
}

// One past every topic that starts with `text` followed by '/': '0' is the character after '/'.
std::string AfterLevelsOf(std::string_view text) { return std::string(text).append(1, '0'); }

}  // namespace

bool RetainedStore::Admits(const Message& msg, const Limits& limits) const {
  if (msg.publisher_id() == 0 || msg.payload().empty() || Find(msg.topic()) != nullptr) return true;
  if (limits.max_messages != 0 && slots_.size() - broker_owned_count_ >= limits.max_messages) return false;
  return limits.max_bytes == 0 || bytes_ - broker_owned_bytes_ + BytesOf(msg) <= limits.max_bytes;
}

void RetainedStore::Set(MessageRef msg) {
  auto it = slots_.find(msg->topic());
  if (it != slots_.end()) {
    if (msg->payload().empty()) {
      Erase(it);
      return;
    }
    Slot& slot = **it;
    Forget(*slot.msg);
    Remember(*msg);
    slot.msg = std::move(msg);  // same topic: both indexes stay as they are
    return;
  }
  if (msg->payload().empty()) return;
  Remember(*msg);
  auto slot = std::make_unique<Slot>(Slot{std::move(msg)});
  ordered_.insert(slot.get());
  slots_.insert(std::move(slot));
}

void RetainedStore::Erase(Slots::iterator it) {
  const Slot* slot = it->get();
  ordered_.erase(slot);  // before the message (which the ordering reads) goes
  Forget(*slot->msg);
  slots_.erase(it);
}

const MessageRef* RetainedStore::Find(std::string_view topic) const {
  auto it = slots_.find(topic);
  return it == slots_.end() ? nullptr : &(*it)->msg;
}

size_t RetainedStore::PurgeExpired(int64_t now_ms, size_t max_count) {
  size_t purged = 0;
  while (purged < max_count && !expiries_.empty() && expiries_.begin()->first <= now_ms) {
    // Indexed messages are stored ones: Forget unindexes a message that leaves.
    Erase(slots_.find(expiries_.begin()->second->topic()));
    ++purged;
  }
  return purged;
}

void RetainedStore::Forget(const Message& msg) {
  bytes_ -= BytesOf(msg);
  if (msg.publisher_id() == 0) {
    --broker_owned_count_;
    broker_owned_bytes_ -= BytesOf(msg);
  }
  if (msg.expiry_deadline_ms() != 0) expiries_.erase({msg.expiry_deadline_ms(), &msg});
}

void RetainedStore::Remember(const Message& msg) {
  bytes_ += BytesOf(msg);
  if (msg.publisher_id() == 0) {
    ++broker_owned_count_;
    broker_owned_bytes_ += BytesOf(msg);
  }
  if (msg.expiry_deadline_ms() != 0) expiries_.insert({msg.expiry_deadline_ms(), &msg});
}

std::string_view RetainedStore::LiteralPrefix(std::string_view filter) {
  const size_t wildcard = filter.find_first_of("+#");
  if (wildcard == std::string_view::npos) return filter;
  std::string_view prefix = filter.substr(0, wildcard);
  // `a/#` also matches the parent `a`.
  if (filter[wildcard] == '#' && !prefix.empty()) prefix.remove_suffix(1);
  return prefix;
}

RetainedStore::Step RetainedStore::NextStep(std::string_view filter, std::string_view topic, std::string& seek) {
  if (IsDollarTopic(topic) && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) return Step::kNext;
  TopicLevels wanted_levels(filter);
  TopicLevels topic_levels(topic);
  size_t last_plus_end = std::string_view::npos;  // where the topic's level under the last `+` ends
  while (!wanted_levels.done()) {
    const std::string_view wanted = wanted_levels.Next();
    if (wanted == "#") return Step::kMatch;
    // Too short. No seek: "a/b-1/c" sorts between "a/b" and "a/b/c", so a jump from "a/b" to its
    // own extensions could pass a match. (Every seek below starts with these levels and a '/'.)
    if (topic_levels.done()) return Step::kNext;
    const std::string_view actual = topic_levels.Next();
    const size_t level_start = static_cast<size_t>(actual.data() - topic.data());
    if (wanted == "+") {
      last_plus_end = level_start + actual.size();
      continue;
    }
    if (wanted == actual) continue;
    // With Q = this topic's levels before this one, the matches sharing Q are `Q/wanted` and
    // `Q/wanted/...`: seek to whichever of them is ahead, or else (all passed) move the last `+` on
    // to its next value. ("Q/wanted-2" sorts between them, hence the second seek.)
    seek.assign(topic.substr(0, level_start)).append(wanted);
    if (topic < std::string_view(seek)) return Step::kSeek;
    seek.append(1, '/');
    if (topic < std::string_view(seek)) return Step::kSeek;
    if (last_plus_end == std::string_view::npos) return Step::kDone;  // a literal prefix, passed
    seek = AfterLevelsOf(topic.substr(0, last_plus_end));
    return Step::kSeek;
  }
  if (topic_levels.done()) return Step::kMatch;
  // Deeper than the filter: no topic extending these levels matches.
  const size_t levels_end = static_cast<size_t>(topic_levels.rest().data() - topic.data()) - 1;
  seek = AfterLevelsOf(topic.substr(0, levels_end));
  return Step::kSeek;
}

}  // namespace ringmq
