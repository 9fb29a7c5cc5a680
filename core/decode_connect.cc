// DecodeConnect and DecodeConnack (declared in core/decoder.h).
#include "core/decode_common.h"
#include "core/decoder.h"
#include "core/properties_codec.h"
#include "core/topic.h"

namespace ringmq {
namespace {

using decode::Fail;
using decode::Malformed;
using decode::ProtocolError;

struct ConnectFlags {
  bool username = false;
  bool password = false;
  bool will_retain = false;
  uint8_t will_qos = 0;
  bool will = false;
  bool clean_start = false;
  bool reserved = false;

  explicit ConnectFlags(uint8_t bits)
      : username(bits & 0x80), password(bits & 0x40), will_retain(bits & 0x20),
        will_qos((bits >> 3) & 0x03), will(bits & 0x04), clean_start(bits & 0x02), reserved(bits & 0x01) {}
};

// MQTT 3.1.1 section 3.1.2.3-3.1.2.9 and 5.0 section 3.1.2.3-3.1.2.9.
DecodeError CheckConnectFlags(const ConnectFlags& flags, ProtocolVersion version) {
  if (flags.reserved) return Malformed("CONNECT reserved flag set [MQTT-3.1.2-3]");
  if (flags.will_qos == 3) return Malformed("will QoS 3 [MQTT-3.1.2-14]");
  if (!flags.will && (flags.will_qos != 0 || flags.will_retain)) {
    return Malformed("will QoS/retain without will flag [MQTT-3.1.2-13]");
  }
  if (!IsV5(version) && flags.password && !flags.username) {
    return Malformed("password without user name [MQTT-3.1.2-22]");
  }
  return decode::kOk;
}

// Protocol name and level (3.1.2.1/3.1.2.2). Sets packet.version to the level that was asked for.
DecodeError ReadProtocol(WireReader& in, ConnectPacket& packet) {
  const std::optional<std::string_view> name = in.ReadLengthPrefixed();
  const std::optional<uint8_t> level = in.ReadU8();
  if (!name || !level) return Malformed("truncated CONNECT variable header");
  if (*name != "MQTT" && *name != "MQIsdp") return Malformed("unknown protocol name [MQTT-3.1.2-1]");
  packet.version = static_cast<ProtocolVersion>(*level);
  const bool matches = (*name == "MQIsdp" && *level == 3) || (*name == "MQTT" && (*level == 4 || *level == 5));
  if (!matches) return Fail(ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol level");
  return decode::kOk;
}

DecodeError CheckWillPayload(const Will& will) {
  if (will.properties.payload_format_indicator == 1 && !IsValidMqttUtf8(will.payload)) {
    return Fail(ReasonCode::kPayloadFormatInvalid, "will payload is not UTF-8");
  }
  return decode::kOk;
}

DecodeError ReadWill(WireReader& in, const ConnectFlags& flags, ProtocolVersion version, Will& will) {
  will.qos = flags.will_qos;
  will.retain = flags.will_retain;
  if (IsV5(version)) {
    if (DecodeError e = DecodeProperties(in, PropertyScope::kWill, will.properties); !e.ok()) return e;
  }
  const std::optional<std::string_view> topic = decode::ReadUtf8String(in);
  if (!topic) return Malformed("bad will topic");
  if (!IsValidTopicName(*topic)) return Fail(ReasonCode::kTopicNameInvalid, "will topic is not a topic name");
  const std::optional<std::string_view> payload = in.ReadLengthPrefixed();
  if (!payload) return Malformed("truncated will payload");
  will.topic = *topic;
  will.payload = *payload;
  return CheckWillPayload(will);
}

// Client identifier, will, user name, password (3.1.3).
DecodeError ReadConnectPayload(WireReader& in, const ConnectFlags& flags, ConnectPacket& packet) {
  const std::optional<std::string_view> client_id = decode::ReadUtf8String(in);
  if (!client_id) return Malformed("bad client identifier");
  packet.client_id = *client_id;
  if (flags.will) {
    packet.will.emplace();
    if (DecodeError e = ReadWill(in, flags, packet.version, *packet.will); !e.ok()) return e;
  }
  if (flags.username) {
    packet.username = decode::ReadUtf8String(in);
    if (!packet.username) return Malformed("bad user name");
  }
  if (flags.password) {
    packet.password = in.ReadLengthPrefixed();
    if (!packet.password) return Malformed("truncated password");
  }
  if (!in.empty()) return Malformed("trailing bytes after CONNECT payload");
  return decode::kOk;
}

ReasonCode FromConnack311(uint8_t code) {
  switch (code) {
    case 0: return ReasonCode::kSuccess;
    case 1: return ReasonCode::kUnsupportedProtocolVersion;
    case 2: return ReasonCode::kClientIdentifierNotValid;
    case 3: return ReasonCode::kServerUnavailable;
    case 4: return ReasonCode::kBadUserNameOrPassword;
    default: return ReasonCode::kNotAuthorized;
  }
}

// MQTT 5.0 section 3.2.2.2.
bool IsConnackReason(uint8_t code) {
  switch (code) {
    case 0x00: case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8A: case 0x8C: case 0x90: case 0x95: case 0x97: case 0x99: case 0x9A:
    case 0x9B: case 0x9C: case 0x9D: case 0x9F:
      return true;
    default:
      return false;
  }
}

}  // namespace

Decoded<ConnectPacket> DecodeConnect(const Frame& frame, std::span<const uint8_t> body) {
  Decoded<ConnectPacket> result;
  ConnectPacket& packet = result.packet;
  if (frame.flags != 0) return decode::Failed<ConnectPacket>(Malformed("CONNECT flags not 0"));
  WireReader in(body);
  if (DecodeError e = ReadProtocol(in, packet); !e.ok()) {
    result.error = e;
    return result;
  }
  const std::optional<uint8_t> flag_bits = in.ReadU8();
  const std::optional<uint16_t> keep_alive = in.ReadU16();
  if (!flag_bits || !keep_alive) return decode::Failed<ConnectPacket>(Malformed("truncated CONNECT header"));
  const ConnectFlags flags(*flag_bits);
  result.error = CheckConnectFlags(flags, packet.version);
  if (!result.ok()) return result;
  packet.clean_start = flags.clean_start;
  packet.keep_alive = *keep_alive;
  if (IsV5(packet.version)) {
    result.error = DecodeProperties(in, PropertyScope::kConnect, packet.properties);
    if (!result.ok()) return result;
  }
  result.error = ReadConnectPayload(in, flags, packet);
  return result;
}

Decoded<ConnackPacket> DecodeConnack(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version) {
  Decoded<ConnackPacket> result;
  if (frame.flags != 0) return decode::Failed<ConnackPacket>(Malformed("CONNACK flags not 0"));
  WireReader in(body);
  const std::optional<uint8_t> ack_flags = in.ReadU8();
  const std::optional<uint8_t> code = in.ReadU8();
  if (!ack_flags || !code) return decode::Failed<ConnackPacket>(Malformed("truncated CONNACK"));
  if ((*ack_flags & 0xFE) != 0) return decode::Failed<ConnackPacket>(Malformed("CONNACK reserved flags"));
  result.packet.session_present = *ack_flags & 0x01;
  if (IsV5(version)) {
    if (!IsConnackReason(*code)) return decode::Failed<ConnackPacket>(ProtocolError("bad CONNACK reason"));
    result.packet.reason = static_cast<ReasonCode>(*code);
    result.error = DecodeProperties(in, PropertyScope::kConnack, result.packet.properties);
    if (!result.ok()) return result;
  } else {
    if (*code > 5) return decode::Failed<ConnackPacket>(Malformed("bad CONNACK return code"));
    result.packet.reason = FromConnack311(*code);
  }
  if (!in.empty()) return decode::Failed<ConnackPacket>(Malformed("trailing bytes after CONNACK"));
  if (result.packet.session_present && IsError(result.packet.reason)) {
    return decode::Failed<ConnackPacket>(ProtocolError("session present with an error [MQTT-3.2.2-6]"));
  }
  return result;
}

}  // namespace ringmq
