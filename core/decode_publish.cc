// DecodePublish and DecodeServerPublish (declared in core/decoder.h). This is the hot path: no
// allocation unless the packet carries user properties or subscription identifiers.
#include <cstring>

#include "core/decode_common.h"
#include "core/decoder.h"
#include "core/properties_codec.h"

namespace ringmq {
namespace {

using decode::Fail;
using decode::Malformed;
using decode::ProtocolError;

bool HasWildcard(std::string_view topic) {
  return std::memchr(topic.data(), '+', topic.size()) != nullptr ||
         std::memchr(topic.data(), '#', topic.size()) != nullptr;
}

// MQTT 3.3.1: QoS 3 is malformed, and DUP must be 0 for QoS 0 [MQTT-3.3.1-2].
DecodeError ApplyFixedHeaderFlags(uint8_t flags, PublishPacket& packet) {
  packet.dup = flags & 0x08;
  packet.qos = (flags >> 1) & 0x03;
  packet.retain = flags & 0x01;
  if (packet.qos == 3) return Malformed("PUBLISH QoS 3 [MQTT-3.3.1-4]");
  if (packet.dup && packet.qos == 0) return Malformed("PUBLISH DUP set with QoS 0 [MQTT-3.3.1-2]");
  return decode::kOk;
}

DecodeError ReadTopic(WireReader& in, PublishPacket& packet) {
  const std::optional<std::string_view> topic = decode::ReadUtf8String(in);
  if (!topic) return Malformed("bad PUBLISH topic");
  if (HasWildcard(*topic)) return Fail(ReasonCode::kTopicNameInvalid, "wildcard in PUBLISH topic [MQTT-3.3.2-2]");
  packet.topic = *topic;
  return decode::kOk;
}

DecodeError ReadPacketId(WireReader& in, PublishPacket& packet) {
  if (packet.qos == 0) return decode::kOk;
  const std::optional<uint16_t> id = in.ReadU16();
  if (!id) return Malformed("truncated PUBLISH packet identifier");
  if (*id == 0) return ProtocolError("PUBLISH packet identifier 0 [MQTT-2.2.1-3]");
  packet.packet_id = *id;
  return decode::kOk;
}

// Empty topics need a topic alias in MQTT 5 (3.3.2.1) and are never allowed before it.
DecodeError CheckEmptyTopic(const PublishPacket& packet, ProtocolVersion version) {
  if (!packet.topic.empty()) return decode::kOk;
  if (!IsV5(version)) return Fail(ReasonCode::kTopicNameInvalid, "empty PUBLISH topic [MQTT-4.7.3-1]");
  if (!packet.properties.topic_alias) return ProtocolError("empty PUBLISH topic without topic alias");
  return decode::kOk;
}

DecodeError CheckPayloadFormat(const PublishPacket& packet) {
  if (packet.properties.payload_format_indicator == 1 && !IsValidMqttUtf8(packet.payload)) {
    return Fail(ReasonCode::kPayloadFormatInvalid, "payload is not UTF-8 [MQTT-3.3.2-4]");
  }
  return decode::kOk;
}

DecodeError DecodePublishInto(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version,
                              PropertyScope scope, PublishPacket& packet) {
  if (DecodeError e = ApplyFixedHeaderFlags(frame.flags, packet); !e.ok()) return e;
  WireReader in(body);
  if (DecodeError e = ReadTopic(in, packet); !e.ok()) return e;
  if (DecodeError e = ReadPacketId(in, packet); !e.ok()) return e;
  if (IsV5(version)) {
    if (DecodeError e = DecodeProperties(in, scope, packet.properties); !e.ok()) return e;
  }
  if (DecodeError e = CheckEmptyTopic(packet, version); !e.ok()) return e;
  packet.payload = in.ReadRest();
  return CheckPayloadFormat(packet);
}

}  // namespace

Decoded<PublishPacket> DecodePublish(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version) {
  Decoded<PublishPacket> result;
  result.error = DecodePublishInto(frame, body, version, PropertyScope::kPublish, result.packet);
  return result;
}

Decoded<PublishPacket> DecodeServerPublish(const Frame& frame, std::span<const uint8_t> body,
                                           ProtocolVersion version) {
  Decoded<PublishPacket> result;
  result.error = DecodePublishInto(frame, body, version, PropertyScope::kPublishFromServer, result.packet);
  return result;
}

}  // namespace ringmq
