#include "core/properties_codec.h"

#include "core/decode_common.h"
#include "core/topic.h"
#include "core/wire_writer.h"

namespace ringmq {
namespace {

using decode::Malformed;
using decode::ProtocolError;

constexpr uint16_t Scopes(std::initializer_list<PropertyScope> scopes) {
  uint16_t mask = 0;
  for (PropertyScope s : scopes) mask |= static_cast<uint16_t>(s);
  return mask;
}

using S = PropertyScope;
constexpr uint16_t kMessageScopes = Scopes({S::kPublish, S::kPublishFromServer, S::kWill});
constexpr uint16_t kAllScopes = 0x0FFF;

// Allowed scopes per property identifier (MQTT 5.0 section 2.2.2.2). Zero = unknown identifier.
constexpr uint16_t AllowedScopes(uint8_t id) {
  switch (id) {
    case 0x01: case 0x02: case 0x03: case 0x08: case 0x09: return kMessageScopes;
    case 0x0B: return Scopes({S::kPublishFromServer, S::kSubscribe});
    case 0x11: return Scopes({S::kConnect, S::kConnack, S::kDisconnect});
    case 0x12: case 0x13: case 0x1A: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
      return Scopes({S::kConnack});
    case 0x15: case 0x16: return Scopes({S::kConnect, S::kConnack, S::kAuth});
    case 0x17: case 0x19: return Scopes({S::kConnect});
    case 0x18: return Scopes({S::kWill});
    case 0x1C: return Scopes({S::kConnack, S::kDisconnect});
    case 0x1F:
      return Scopes({S::kConnack, S::kAck, S::kSuback, S::kUnsuback, S::kDisconnect, S::kAuth});
    case 0x21: case 0x22: case 0x27: return Scopes({S::kConnect, S::kConnack});
    case 0x23: return Scopes({S::kPublish, S::kPublishFromServer});
    case 0x26: return kAllScopes;
    default: return 0;
  }
}

// Properties that may be given more than once (section 2.2.2.2 and 3.3.2.3.8).
bool IsRepeatable(uint8_t id, PropertyScope scope) {
  return id == 0x26 || (id == 0x0B && scope == S::kPublishFromServer);
}

DecodeError ReadBoolByte(WireReader& in, std::optional<uint8_t>& field, std::string_view name) {
  const std::optional<uint8_t> value = in.ReadU8();
  if (!value) return Malformed("truncated property");
  if (*value > 1) return ProtocolError(name);
  field = value;
  return decode::kOk;
}

template <class T>
DecodeError ReadInteger(WireReader& in, std::optional<T>& field) {
  std::optional<T> value;
  if constexpr (sizeof(T) == 2) value = in.ReadU16();
  else value = in.ReadU32();
  if (!value) return Malformed("truncated property");
  field = value;
  return decode::kOk;
}

DecodeError ReadNonZeroU16(WireReader& in, std::optional<uint16_t>& field, ReasonCode reason,
                           std::string_view name) {
  const std::optional<uint16_t> value = in.ReadU16();
  if (!value) return Malformed("truncated property");
  if (*value == 0) return decode::Fail(reason, name);
  field = value;
  return decode::kOk;
}

DecodeError ReadString(WireReader& in, std::optional<std::string_view>& field) {
  field = decode::ReadUtf8String(in);
  return field ? decode::kOk : Malformed("bad UTF-8 string property");
}

DecodeError ReadBinary(WireReader& in, std::optional<std::string_view>& field) {
  field = in.ReadLengthPrefixed();
  return field ? decode::kOk : Malformed("truncated binary property");
}

DecodeError ReadUserProperty(WireReader& in, Properties& props) {
  const std::optional<std::string_view> key = decode::ReadUtf8String(in);
  if (!key) return Malformed("bad user property key");
  const std::optional<std::string_view> value = decode::ReadUtf8String(in);
  if (!value) return Malformed("bad user property value");
  props.user_properties.push_back({*key, *value});
  return decode::kOk;
}

DecodeError ReadSubscriptionIdentifier(WireReader& in, Properties& props) {
  const std::optional<uint32_t> value = in.ReadVarint();
  if (!value) return Malformed("truncated subscription identifier");
  if (*value == 0) return ProtocolError("subscription identifier 0");
  props.subscription_identifiers.push_back(*value);
  return decode::kOk;
}

DecodeError ReadResponseTopic(WireReader& in, Properties& props) {
  if (DecodeError e = ReadString(in, props.response_topic); !e.ok()) return e;
  if (!IsValidTopicName(*props.response_topic)) return ProtocolError("response topic is not a topic name");
  return decode::kOk;
}

DecodeError DecodeOne(WireReader& in, uint8_t id, Properties& p) {
  switch (id) {
    case 0x01: return ReadBoolByte(in, p.payload_format_indicator, "payload format indicator not 0/1");
    case 0x02: return ReadInteger(in, p.message_expiry_interval);
    case 0x03: return ReadString(in, p.content_type);
    case 0x08: return ReadResponseTopic(in, p);
    case 0x09: return ReadBinary(in, p.correlation_data);
    case 0x0B: return ReadSubscriptionIdentifier(in, p);
    case 0x11: return ReadInteger(in, p.session_expiry_interval);
    case 0x12: return ReadString(in, p.assigned_client_identifier);
    case 0x13: return ReadInteger(in, p.server_keep_alive);
    case 0x15: return ReadString(in, p.authentication_method);
    case 0x16: return ReadBinary(in, p.authentication_data);
    case 0x17: return ReadBoolByte(in, p.request_problem_information, "request problem information not 0/1");
    case 0x18: return ReadInteger(in, p.will_delay_interval);
    case 0x19: return ReadBoolByte(in, p.request_response_information, "request response information not 0/1");
    case 0x1A: return ReadString(in, p.response_information);
    case 0x1C: return ReadString(in, p.server_reference);
    case 0x1F: return ReadString(in, p.reason_string);
    case 0x21: return ReadNonZeroU16(in, p.receive_maximum, ReasonCode::kProtocolError, "receive maximum 0");
    case 0x22: return ReadInteger(in, p.topic_alias_maximum);
    case 0x23: return ReadNonZeroU16(in, p.topic_alias, ReasonCode::kTopicAliasInvalid, "topic alias 0");
    case 0x24: return ReadBoolByte(in, p.maximum_qos, "maximum QoS not 0/1");
    case 0x25: return ReadBoolByte(in, p.retain_available, "retain available not 0/1");
    case 0x26: return ReadUserProperty(in, p);
    case 0x27: {
      if (DecodeError e = ReadInteger(in, p.maximum_packet_size); !e.ok()) return e;
      return *p.maximum_packet_size == 0 ? ProtocolError("maximum packet size 0") : decode::kOk;
    }
    case 0x28: return ReadBoolByte(in, p.wildcard_subscription_available, "wildcard available not 0/1");
    case 0x29: return ReadBoolByte(in, p.subscription_identifier_available, "sub id available not 0/1");
    case 0x2A: return ReadBoolByte(in, p.shared_subscription_available, "shared available not 0/1");
  }
  return Malformed("unknown property identifier");
}

}  // namespace

bool IsPropertyAllowed(uint8_t id, PropertyScope scope) {
  return (AllowedScopes(id) & static_cast<uint16_t>(scope)) != 0;
}

DecodeError DecodeProperties(WireReader& in, PropertyScope scope, Properties& props) {
  const std::optional<uint32_t> length = in.ReadVarint();
  if (!length) return Malformed("truncated property length");
  if (*length == 0) return decode::kOk;
  std::optional<WireReader> block = in.Split(*length);
  if (!block) return Malformed("property length exceeds packet");
  uint64_t seen = 0;
  while (!block->empty()) {
    const std::optional<uint32_t> id = block->ReadVarint();
    if (!id) return Malformed("truncated property identifier");
    if (*id > 0x3F || AllowedScopes(static_cast<uint8_t>(*id)) == 0) {
      return Malformed("unknown property identifier");
    }
    const auto id8 = static_cast<uint8_t>(*id);
    if (!IsPropertyAllowed(id8, scope)) return ProtocolError("property not allowed on this packet");
    const uint64_t bit = uint64_t{1} << id8;
    if ((seen & bit) != 0 && !IsRepeatable(id8, scope)) return ProtocolError("duplicate property");
    seen |= bit;
    if (DecodeError e = DecodeOne(*block, id8, props); !e.ok()) return e;
  }
  if (props.authentication_data && !props.authentication_method) {
    return ProtocolError("authentication data without authentication method");
  }
  return decode::kOk;
}

namespace {

// Walks the present properties in identifier order, handing each to `visit` as (id, value kind).
// Shared by sizing and encoding so the two can never disagree.
template <class Visitor>
void ForEachProperty(const Properties& p, Visitor&& visit) {
  if (p.payload_format_indicator) visit.Byte(0x01, *p.payload_format_indicator);
  if (p.message_expiry_interval) visit.U32(0x02, *p.message_expiry_interval);
  if (p.content_type) visit.Bytes(0x03, *p.content_type);
  if (p.response_topic) visit.Bytes(0x08, *p.response_topic);
  if (p.correlation_data) visit.Bytes(0x09, *p.correlation_data);
  for (uint32_t id : p.subscription_identifiers) visit.Varint(0x0B, id);
  if (p.session_expiry_interval) visit.U32(0x11, *p.session_expiry_interval);
  if (p.assigned_client_identifier) visit.Bytes(0x12, *p.assigned_client_identifier);
  if (p.server_keep_alive) visit.U16(0x13, *p.server_keep_alive);
  if (p.authentication_method) visit.Bytes(0x15, *p.authentication_method);
  if (p.authentication_data) visit.Bytes(0x16, *p.authentication_data);
  if (p.request_problem_information) visit.Byte(0x17, *p.request_problem_information);
  if (p.will_delay_interval) visit.U32(0x18, *p.will_delay_interval);
  if (p.request_response_information) visit.Byte(0x19, *p.request_response_information);
  if (p.response_information) visit.Bytes(0x1A, *p.response_information);
  if (p.server_reference) visit.Bytes(0x1C, *p.server_reference);
  if (p.reason_string) visit.Bytes(0x1F, *p.reason_string);
  if (p.receive_maximum) visit.U16(0x21, *p.receive_maximum);
  if (p.topic_alias_maximum) visit.U16(0x22, *p.topic_alias_maximum);
  if (p.topic_alias) visit.U16(0x23, *p.topic_alias);
  if (p.maximum_qos) visit.Byte(0x24, *p.maximum_qos);
  if (p.retain_available) visit.Byte(0x25, *p.retain_available);
  for (const UserProperty& up : p.user_properties) visit.Pair(0x26, up.key, up.value);
  if (p.maximum_packet_size) visit.U32(0x27, *p.maximum_packet_size);
  if (p.wildcard_subscription_available) visit.Byte(0x28, *p.wildcard_subscription_available);
  if (p.subscription_identifier_available) visit.Byte(0x29, *p.subscription_identifier_available);
  if (p.shared_subscription_available) visit.Byte(0x2A, *p.shared_subscription_available);
}

struct SizeVisitor {
  size_t size = 0;
  void Byte(uint8_t, uint8_t) { size += 2; }
  void U16(uint8_t, uint16_t) { size += 3; }
  void U32(uint8_t, uint32_t) { size += 5; }
  void Varint(uint8_t, uint32_t v) { size += 1 + wire::VarintLength(v); }
  void Bytes(uint8_t, std::string_view b) { size += 1 + wire::LengthPrefixedSize(b); }
  void Pair(uint8_t, std::string_view k, std::string_view v) {
    size += 1 + wire::LengthPrefixedSize(k) + wire::LengthPrefixedSize(v);
  }
};

struct WriteVisitor {
  std::string& out;
  void Byte(uint8_t id, uint8_t v) { wire::PutU8(id, out), wire::PutU8(v, out); }
  void U16(uint8_t id, uint16_t v) { wire::PutU8(id, out), wire::PutU16(v, out); }
  void U32(uint8_t id, uint32_t v) { wire::PutU8(id, out), wire::PutU32(v, out); }
  void Varint(uint8_t id, uint32_t v) { wire::PutU8(id, out), wire::PutVarint(v, out); }
  void Bytes(uint8_t id, std::string_view b) { wire::PutU8(id, out), wire::PutLengthPrefixed(b, out); }
  void Pair(uint8_t id, std::string_view k, std::string_view v) {
    wire::PutU8(id, out);
    wire::PutLengthPrefixed(k, out);
    wire::PutLengthPrefixed(v, out);
  }
};

}  // namespace

size_t PropertiesBodySize(const Properties& props) {
  SizeVisitor visitor;
  ForEachProperty(props, visitor);
  return visitor.size;
}

void AppendPropertiesBody(const Properties& props, std::string& out) {
  WriteVisitor visitor{out};
  ForEachProperty(props, visitor);
}

}  // namespace ringmq
