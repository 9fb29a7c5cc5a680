// MQTT 5 topic aliases of one network connection, in both directions (section 3.3.2.3.4).
//
// InboundTopicAliases: aliases a client sets on its PUBLISHes, up to the Topic Alias Maximum the
// broker announced in CONNACK. OutboundTopicAliases: aliases the broker assigns on PUBLISHes it sends,
// up to the Topic Alias Maximum the client announced in CONNECT. Both are created only when a
// connection first uses an alias, so connections that never do pay nothing. Mappings live and die
// with the connection; a new connection of the same session starts without any.
//
// Thread ownership: owned by the connection's shard; only that shard's thread touches them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/reason_code.h"

namespace ringmq {

class InboundTopicAliases {
 public:
  explicit InboundTopicAliases(uint16_t maximum) : maximum_(maximum) {}

  struct Resolved {
    ReasonCode error = ReasonCode::kSuccess;  // kTopicAliasInvalid or kProtocolError on failure
    std::string_view topic;                   // valid until the alias is next set
  };
  // A PUBLISH with `alias` (1..65535) and `topic` (possibly empty). A non-empty topic (re)binds the
  // alias; an empty one is replaced by the alias's topic. An alias above the maximum is
  // kTopicAliasInvalid; an empty topic with an alias never bound is kProtocolError.
  Resolved Resolve(std::string_view topic, uint16_t alias);

 private:
  std::vector<std::string> topics_;  // index alias - 1; grows to the highest alias used
  uint16_t maximum_;
};

class OutboundTopicAliases {
 public:
  explicit OutboundTopicAliases(uint16_t maximum) : maximum_(maximum) {}

  struct Assignment {
    uint16_t alias = 0;         // 0: send the topic without an alias
    bool send_topic = true;     // false: the client knows the alias, send an empty topic
  };
  // The first `maximum` distinct topics that are long enough to gain from it get an alias for the
  // life of the connection; others travel in full. Fleet traffic repeats a stable set of topics, so
  // this keeps the hit rate of a cache without the thrash of replacing mappings.
  Assignment Assign(std::string_view topic);
  // What Assign(topic) would answer, without assigning anything: for sizing a packet before
  // deciding to send it.
  Assignment Peek(std::string_view topic) const;
  size_t size() const { return aliases_.size(); }

  // An alias costs 3 bytes (identifier and two-byte value): shorter topics would not gain.
  static constexpr size_t kMinTopicSize = 4;

 private:
  absl::flat_hash_map<std::string, uint16_t> aliases_;
  uint16_t maximum_;
};

}  // namespace ringmq
