#include "core/topic_alias.h"

namespace ringmq {

InboundTopicAliases::Resolved InboundTopicAliases::Resolve(std::string_view topic, uint16_t alias) {
  if (alias == 0 || alias > maximum_) return {ReasonCode::kTopicAliasInvalid, {}};
  const size_t index = alias - 1u;
  if (!topic.empty()) {
    if (topics_.size() <= index) topics_.resize(index + 1);
    topics_[index].assign(topic);
    return {ReasonCode::kSuccess, topics_[index]};
  }
  if (index >= topics_.size() || topics_[index].empty()) return {ReasonCode::kProtocolError, {}};
  return {ReasonCode::kSuccess, topics_[index]};
}

OutboundTopicAliases::Assignment OutboundTopicAliases::Assign(std::string_view topic) {
  const Assignment assignment = Peek(topic);
  if (assignment.alias != 0 && assignment.send_topic) aliases_.emplace(std::string(topic), assignment.alias);
  return assignment;
}

OutboundTopicAliases::Assignment OutboundTopicAliases::Peek(std::string_view topic) const {
  // Debian's Abseil has its own string_view type, distinct from std::string_view.
  const absl::string_view key(topic.data(), topic.size());
  if (auto it = aliases_.find(key); it != aliases_.end()) return {it->second, false};
  if (aliases_.size() >= maximum_ || topic.size() < kMinTopicSize) return {0, true};
  return {static_cast<uint16_t>(aliases_.size() + 1), true};
}

}  // namespace ringmq
