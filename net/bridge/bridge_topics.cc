#include "net/bridge/bridge_topics.h"

#include "routing/topic_match.h"

namespace ringmq {
namespace {

std::optional<std::string> Swap(std::string_view topic, const std::string& from_prefix, const std::string& filter,
                                const std::string& to_prefix) {
  if (!topic.starts_with(from_prefix) || !TopicMatches(filter, topic)) return std::nullopt;
  std::string swapped = to_prefix;
  swapped.append(topic.substr(from_prefix.size()));
  return swapped;
}

}  // namespace

std::optional<std::string> BridgeTopicMap::ToRemote(std::string_view local_topic) const {
  for (const BridgeTopic& topic : topics_) {
    if (!topic.Out()) continue;
    if (auto remote = Swap(local_topic, topic.local_prefix, topic.LocalFilter(), topic.remote_prefix)) return remote;
  }
  return std::nullopt;
}

std::optional<std::string> BridgeTopicMap::ToLocal(std::string_view remote_topic) const {
  for (const BridgeTopic& topic : topics_) {
    if (!topic.In()) continue;
    if (auto local = Swap(remote_topic, topic.remote_prefix, topic.RemoteFilter(), topic.local_prefix)) return local;
  }
  return std::nullopt;
}

}  // namespace ringmq
