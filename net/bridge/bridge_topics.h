// A bridge's topic remapping, with mosquitto's semantics: a `topic PATTERN DIR QOS LOCAL REMOTE` line
// subscribes locally to LOCAL+PATTERN (out) or remotely to REMOTE+PATTERN (in), and a topic crossing
// the bridge has its prefix swapped: LOCAL+rest <-> REMOTE+rest. The first line that matches wins.
// Pure: text in, text out.
//
// Thread ownership: immutable after construction; read by the bridge's shard.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/bridge/bridge_config.h"

namespace ringmq {

class BridgeTopicMap {
 public:
  explicit BridgeTopicMap(std::vector<BridgeTopic> topics) : topics_(std::move(topics)) {}

  // The remote topic of a local message an `out` (or `both`) line covers; nullopt when none does.
  std::optional<std::string> ToRemote(std::string_view local_topic) const;
  // The local topic of a remote message an `in` (or `both`) line covers; nullopt when none does.
  std::optional<std::string> ToLocal(std::string_view remote_topic) const;

  const std::vector<BridgeTopic>& topics() const { return topics_; }

 private:
  std::vector<BridgeTopic> topics_;
};

}  // namespace ringmq
