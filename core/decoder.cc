// Decoders for the acknowledgement, subscription, DISCONNECT, AUTH and PINGREQ packets (declared in
// core/decoder.h). CONNECT/CONNACK live in decode_connect.cc, PUBLISH in decode_publish.cc.
#include "core/decoder.h"

#include "core/decode_common.h"
#include "core/properties_codec.h"
#include "core/topic.h"

namespace ringmq {
namespace {

using decode::Malformed;
using decode::ProtocolError;

constexpr uint8_t kSubscribeFlags = 0b0010;  // PUBREL, SUBSCRIBE, UNSUBSCRIBE [MQTT-3.6.1-1] etc.

bool IsOneOf(uint8_t code, std::initializer_list<uint8_t> allowed) {
  for (uint8_t a : allowed) {
    if (a == code) return true;
  }
  return false;
}

// MQTT 5.0 sections 3.4.2.1 and 3.5.2.1.
bool IsPubackReason(uint8_t code) { return IsOneOf(code, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}); }

// MQTT 5.0 sections 3.6.2.1 and 3.7.2.1.
bool IsPubrelReason(uint8_t code) { return IsOneOf(code, {0x00, 0x92}); }

bool IsSubackReason(uint8_t code) {
  return IsOneOf(code, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
}

bool IsUnsubackReason(uint8_t code) { return IsOneOf(code, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}); }

bool IsSuback311Code(uint8_t code) { return IsOneOf(code, {0x00, 0x01, 0x02, 0x80}); }

// MQTT 5.0 section 3.14.2.1.
bool IsDisconnectReason(uint8_t code) {
  return IsOneOf(code, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90,
                        0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F,
                        0xA0, 0xA1, 0xA2});
}

bool IsAuthReason(uint8_t code) { return IsOneOf(code, {0x00, 0x18, 0x19}); }

DecodeError ReadNonZeroPacketId(WireReader& in, uint16_t& packet_id) {
  const std::optional<uint16_t> id = in.ReadU16();
  if (!id) return Malformed("truncated packet identifier");
  if (*id == 0) return ProtocolError("packet identifier 0 [MQTT-2.2.1-3]");
  packet_id = *id;
  return decode::kOk;
}

// The tail shared by v5 acks, DISCONNECT and AUTH: optional reason code, then optional properties.
// An absent reason means success; an absent property length means no properties.
DecodeError ReadReasonAndProperties(WireReader& in, PropertyScope scope, bool (*is_allowed)(uint8_t),
                                    ReasonCode& reason, Properties& props) {
  if (in.empty()) return decode::kOk;
  const uint8_t code = *in.ReadU8();
  if (!is_allowed(code)) return ProtocolError("reason code not allowed on this packet");
  reason = static_cast<ReasonCode>(code);
  if (in.empty()) return decode::kOk;
  if (DecodeError e = DecodeProperties(in, scope, props); !e.ok()) return e;
  return in.empty() ? decode::kOk : Malformed("trailing bytes after properties");
}

// Option byte of a SUBSCRIBE entry (3.8.3.1).
DecodeError ReadSubscriptionOptions(uint8_t bits, ProtocolVersion version, SubscriptionOptions& options) {
  if (!IsV5(version) && (bits & 0xFC) != 0) return Malformed("SUBSCRIBE reserved option bits [MQTT-3-8.3-4]");
  if ((bits & 0xC0) != 0) return Malformed("SUBSCRIBE reserved option bits [MQTT-3.8.3-5]");
  options.max_qos = bits & 0x03;
  options.no_local = bits & 0x04;
  options.retain_as_published = bits & 0x08;
  options.retain_handling = (bits >> 4) & 0x03;
  if (options.max_qos == 3) return Malformed("SUBSCRIBE QoS 3 [MQTT-3.8.3-4]");
  if (options.retain_handling == 3) return ProtocolError("retain handling 3");
  return decode::kOk;
}

// Reads a topic filter and checks its syntax; see the SUBSCRIBE note in core/decoder.h.
DecodeError ReadFilter(WireReader& in, std::string_view& filter) {
  const std::optional<std::string_view> text = decode::ReadUtf8String(in);
  if (!text) return Malformed("bad topic filter string");
  if (!IsValidTopicFilter(*text)) return Malformed("invalid topic filter [MQTT-4.7.1]");
  filter = *text;
  return decode::kOk;
}

DecodeError ReadSubscription(WireReader& in, ProtocolVersion version, TopicSubscription& sub) {
  if (DecodeError e = ReadFilter(in, sub.filter); !e.ok()) return e;
  const std::optional<uint8_t> bits = in.ReadU8();
  if (!bits) return Malformed("truncated subscription options");
  if (DecodeError e = ReadSubscriptionOptions(*bits, version, sub.options); !e.ok()) return e;
  if (sub.options.no_local && IsSharedFilter(sub.filter)) {
    return ProtocolError("no local on a shared subscription [MQTT-3.8.3-4]");
  }
  return decode::kOk;
}

DecodeError DecodeSubscribeInto(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version,
                                SubscribePacket& packet) {
  if (frame.flags != kSubscribeFlags) return Malformed("SUBSCRIBE flags not 0010 [MQTT-3.8.1-1]");
  WireReader in(body);
  if (DecodeError e = ReadNonZeroPacketId(in, packet.packet_id); !e.ok()) return e;
  if (IsV5(version)) {
    if (DecodeError e = DecodeProperties(in, PropertyScope::kSubscribe, packet.properties); !e.ok()) return e;
  }
  if (in.empty()) return ProtocolError("SUBSCRIBE without topic filters [MQTT-3.8.3-3]");
  while (!in.empty()) {
    TopicSubscription& sub = packet.subscriptions.emplace_back();
    if (DecodeError e = ReadSubscription(in, version, sub); !e.ok()) return e;
  }
  return decode::kOk;
}

DecodeError DecodeUnsubscribeInto(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version,
                                  UnsubscribePacket& packet) {
  if (frame.flags != kSubscribeFlags) return Malformed("UNSUBSCRIBE flags not 0010 [MQTT-3.10.1-1]");
  WireReader in(body);
  if (DecodeError e = ReadNonZeroPacketId(in, packet.packet_id); !e.ok()) return e;
  if (IsV5(version)) {
    if (DecodeError e = DecodeProperties(in, PropertyScope::kUnsubscribe, packet.properties); !e.ok()) return e;
  }
  if (in.empty()) return ProtocolError("UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]");
  while (!in.empty()) {
    if (DecodeError e = ReadFilter(in, packet.filters.emplace_back()); !e.ok()) return e;
  }
  return decode::kOk;
}

DecodeError ReadSubackCodes(WireReader& in, PacketType type, ProtocolVersion version, SubackPacket& packet) {
  if (type == PacketType::kUnsuback && !IsV5(version)) {
    return in.empty() ? decode::kOk : Malformed("3.1.1 UNSUBACK has no payload");
  }
  if (in.empty()) return ProtocolError("SUBACK/UNSUBACK without reason codes");
  bool (*is_allowed)(uint8_t) = !IsV5(version)              ? IsSuback311Code
                                : type == PacketType::kSuback ? IsSubackReason
                                                              : IsUnsubackReason;
  while (!in.empty()) {
    const uint8_t code = *in.ReadU8();
    if (!is_allowed(code)) return ProtocolError("bad SUBACK/UNSUBACK reason code");
    packet.reasons.push_back(static_cast<ReasonCode>(code));
  }
  return decode::kOk;
}

DecodeError DecodeSubackInto(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version,
                             SubackPacket& packet) {
  packet.type = frame.type;
  if (frame.type != PacketType::kSuback && frame.type != PacketType::kUnsuback) {
    return Malformed("not a SUBACK or UNSUBACK");
  }
  if (frame.flags != 0) return Malformed("SUBACK/UNSUBACK flags not 0");
  WireReader in(body);
  if (DecodeError e = ReadNonZeroPacketId(in, packet.packet_id); !e.ok()) return e;
  if (IsV5(version)) {
    const PropertyScope scope = frame.type == PacketType::kSuback ? PropertyScope::kSuback : PropertyScope::kUnsuback;
    if (DecodeError e = DecodeProperties(in, scope, packet.properties); !e.ok()) return e;
  }
  return ReadSubackCodes(in, frame.type, version, packet);
}

DecodeError DecodeAckInto(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version,
                          AckPacket& packet) {
  packet.type = frame.type;
  if (frame.type < PacketType::kPuback || frame.type > PacketType::kPubcomp) return Malformed("not an ack");
  const uint8_t expected_flags = frame.type == PacketType::kPubrel ? kSubscribeFlags : 0;
  if (frame.flags != expected_flags) return Malformed("ack fixed header flags [MQTT-2.2.2-2]");
  if (!IsV5(version) && body.size() != 2) return Malformed("3.1.1 ack remaining length not 2");
  WireReader in(body);
  if (DecodeError e = ReadNonZeroPacketId(in, packet.packet_id); !e.ok()) return e;
  const bool is_release = frame.type == PacketType::kPubrel || frame.type == PacketType::kPubcomp;
  return ReadReasonAndProperties(in, PropertyScope::kAck, is_release ? IsPubrelReason : IsPubackReason,
                                 packet.reason, packet.properties);
}

}  // namespace

Decoded<AckPacket> DecodeAck(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version) {
  Decoded<AckPacket> result;
  result.error = DecodeAckInto(frame, body, version, result.packet);
  return result;
}

Decoded<SubscribePacket> DecodeSubscribe(const Frame& frame, std::span<const uint8_t> body,
                                         ProtocolVersion version) {
  Decoded<SubscribePacket> result;
  result.error = DecodeSubscribeInto(frame, body, version, result.packet);
  return result;
}

Decoded<UnsubscribePacket> DecodeUnsubscribe(const Frame& frame, std::span<const uint8_t> body,
                                             ProtocolVersion version) {
  Decoded<UnsubscribePacket> result;
  result.error = DecodeUnsubscribeInto(frame, body, version, result.packet);
  return result;
}

Decoded<SubackPacket> DecodeSuback(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version) {
  Decoded<SubackPacket> result;
  result.error = DecodeSubackInto(frame, body, version, result.packet);
  return result;
}

Decoded<DisconnectPacket> DecodeDisconnect(const Frame& frame, std::span<const uint8_t> body,
                                           ProtocolVersion version) {
  Decoded<DisconnectPacket> result;
  if (frame.flags != 0) return decode::Failed<DisconnectPacket>(Malformed("DISCONNECT flags not 0"));
  if (!IsV5(version)) {
    if (!body.empty()) return decode::Failed<DisconnectPacket>(Malformed("3.1.1 DISCONNECT with a body"));
    return result;
  }
  WireReader in(body);
  result.error = ReadReasonAndProperties(in, PropertyScope::kDisconnect, IsDisconnectReason,
                                         result.packet.reason, result.packet.properties);
  return result;
}

Decoded<AuthPacket> DecodeAuth(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version) {
  Decoded<AuthPacket> result;
  if (!IsV5(version)) return decode::Failed<AuthPacket>(Malformed("AUTH is reserved before MQTT 5"));
  if (frame.flags != 0) return decode::Failed<AuthPacket>(Malformed("AUTH flags not 0"));
  WireReader in(body);
  result.error = ReadReasonAndProperties(in, PropertyScope::kAuth, IsAuthReason, result.packet.reason,
                                         result.packet.properties);
  return result;
}

DecodeError DecodePingreq(const Frame& frame, std::span<const uint8_t> body) {
  if (frame.flags != 0) return Malformed("PINGREQ flags not 0");
  if (!body.empty()) return Malformed("PINGREQ with a body");
  return decode::kOk;
}

}  // namespace ringmq
