#include "core/encoder.h"

#include "core/properties_codec.h"
#include "core/wire_writer.h"

namespace ringmq {
namespace {

using wire::LengthPrefixedSize;
using wire::PutLengthPrefixed;
using wire::PutU16;
using wire::PutU8;

constexpr uint8_t FirstByte(PacketType type, uint8_t flags = 0) {
  return static_cast<uint8_t>((static_cast<uint8_t>(type) << 4) | flags);
}

// Fixed header (type byte and Remaining Length) plus body.
size_t PacketSize(size_t body_size) { return 1 + wire::VarintLength(static_cast<uint32_t>(body_size)) + body_size; }

void PutFixedHeader(uint8_t first_byte, size_t body_size, std::string& out) {
  PutU8(first_byte, out);
  wire::PutVarint(static_cast<uint32_t>(body_size), out);
}

// Reserves room for the whole packet once, then writes the fixed header. Returns the packet size.
size_t BeginPacket(uint8_t first_byte, size_t body_size, std::string& out) {
  const size_t total = PacketSize(body_size);
  out.reserve(out.size() + total);
  PutFixedHeader(first_byte, body_size, out);
  return total;
}

// A property block with its length prefix, sized once and written later.
struct PropertyBlock {
  const Properties& props;
  size_t body_size;
  explicit PropertyBlock(const Properties& p) : props(p), body_size(PropertiesBodySize(p)) {}
  size_t size() const { return wire::VarintLength(static_cast<uint32_t>(body_size)) + body_size; }
  void Append(std::string& out) const {
    wire::PutVarint(static_cast<uint32_t>(body_size), out);
    AppendPropertiesBody(props, out);
  }
};

std::string_view ProtocolName(ProtocolVersion version) {
  return version == ProtocolVersion::kV31 ? "MQIsdp" : "MQTT";
}

uint8_t ConnectFlagBits(const ConnectPacket& p) {
  uint8_t bits = p.clean_start ? 0x02 : 0;
  if (p.will) {
    bits |= 0x04 | static_cast<uint8_t>(p.will->qos << 3);
    if (p.will->retain) bits |= 0x20;
  }
  if (p.password) bits |= 0x40;
  if (p.username) bits |= 0x80;
  return bits;
}

size_t WillSize(const Will& will, bool v5) {
  const size_t props = v5 ? PropertyBlock(will.properties).size() : 0;
  return props + LengthPrefixedSize(will.topic) + LengthPrefixedSize(will.payload);
}

void AppendWill(const Will& will, bool v5, std::string& out) {
  if (v5) PropertyBlock(will.properties).Append(out);
  PutLengthPrefixed(will.topic, out);
  PutLengthPrefixed(will.payload, out);
}

uint8_t SubscriptionOptionBits(const SubscriptionOptions& o, bool v5) {
  if (!v5) return o.max_qos;
  return static_cast<uint8_t>(o.max_qos | (o.no_local ? 0x04 : 0) | (o.retain_as_published ? 0x08 : 0) |
                              (o.retain_handling << 4));
}

uint8_t Suback311Code(ReasonCode reason) {
  switch (reason) {
    case ReasonCode::kSuccess:
    case ReasonCode::kGrantedQos1:
    case ReasonCode::kGrantedQos2:
      return static_cast<uint8_t>(reason);
    default:
      return 0x80;
  }
}

// Trailing "reason code, properties" of v5 acks, DISCONNECT and AUTH. Both are left out when the
// reason is success and there are no properties; the property length alone is left out when there are
// no properties (keep_property_length keeps it whenever a reason is written, as AUTH requires).
struct ReasonTail {
  ReasonCode reason;
  PropertyBlock block;
  bool keep_property_length;
  ReasonTail(ReasonCode r, const Properties& p, bool keep_length)
      : reason(r), block(p), keep_property_length(keep_length) {}
  bool has_reason() const { return reason != ReasonCode::kSuccess || block.body_size != 0; }
  bool has_properties() const { return block.body_size != 0 || (keep_property_length && has_reason()); }
  size_t size() const { return (has_reason() ? 1 : 0) + (has_properties() ? block.size() : 0); }
  void Append(std::string& out) const {
    if (has_reason()) PutU8(static_cast<uint8_t>(reason), out);
    if (has_properties()) block.Append(out);
  }
};

}  // namespace

size_t VarintSize(uint32_t value) { return wire::VarintLength(value); }

size_t AppendVarint(uint32_t value, std::string& out) { return wire::PutVarint(value, out); }

size_t PropertiesSize(const Properties& props) { return PropertiesBodySize(props); }

size_t EncodeProperties(const Properties& props, std::string& out) {
  const PropertyBlock block(props);
  out.reserve(out.size() + block.size());
  block.Append(out);
  return block.size();
}

size_t EncodeConnect(const ConnectPacket& p, std::string& out) {
  const bool v5 = IsV5(p.version);
  const std::string_view name = ProtocolName(p.version);
  const PropertyBlock props(p.properties);
  size_t body = LengthPrefixedSize(name) + 1 + 1 + 2 + LengthPrefixedSize(p.client_id);
  if (v5) body += props.size();
  if (p.will) body += WillSize(*p.will, v5);
  if (p.username) body += LengthPrefixedSize(*p.username);
  if (p.password) body += LengthPrefixedSize(*p.password);
  const size_t total = BeginPacket(FirstByte(PacketType::kConnect), body, out);
  PutLengthPrefixed(name, out);
  PutU8(static_cast<uint8_t>(p.version), out);
  PutU8(ConnectFlagBits(p), out);
  PutU16(p.keep_alive, out);
  if (v5) props.Append(out);
  PutLengthPrefixed(p.client_id, out);
  if (p.will) AppendWill(*p.will, v5, out);
  if (p.username) PutLengthPrefixed(*p.username, out);
  if (p.password) PutLengthPrefixed(*p.password, out);
  return total;
}

size_t EncodeConnack(const ConnackPacket& p, ProtocolVersion version, std::string& out) {
  const bool v5 = IsV5(version);
  const PropertyBlock props(p.properties);
  const size_t total = BeginPacket(FirstByte(PacketType::kConnack), 2 + (v5 ? props.size() : 0), out);
  PutU8(p.session_present ? 1 : 0, out);
  PutU8(v5 ? static_cast<uint8_t>(p.reason) : static_cast<uint8_t>(ToConnack311(p.reason)), out);
  if (v5) props.Append(out);
  return total;
}

size_t EncodePublish(const PublishPacket& p, ProtocolVersion version, std::string& out) {
  return EncodePublish(p, {}, version, out);
}

namespace {

// Remaining length of a PUBLISH, and the size of its property block body (MQTT 5).
struct PublishLayout {
  size_t body = 0;
  size_t props_body = 0;
};

PublishLayout LayOutPublish(const PublishPacket& p, std::string_view raw_properties, bool v5) {
  PublishLayout layout;
  layout.body = LengthPrefixedSize(p.topic) + (p.qos > 0 ? 2 : 0) + p.payload.size();
  if (v5) {
    layout.props_body = PropertiesBodySize(p.properties) + raw_properties.size();
    layout.body += wire::VarintLength(static_cast<uint32_t>(layout.props_body)) + layout.props_body;
  }
  return layout;
}

uint8_t PublishFlags(const PublishPacket& p) {
  return static_cast<uint8_t>((p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0));
}

// Everything of the PUBLISH after the fixed header and before the payload.
void AppendPublishVariableHeader(const PublishPacket& p, std::string_view raw_properties, bool v5,
                                 const PublishLayout& layout, std::string& out) {
  PutLengthPrefixed(p.topic, out);
  if (p.qos > 0) PutU16(p.packet_id, out);
  if (v5) {
    wire::PutVarint(static_cast<uint32_t>(layout.props_body), out);
    AppendPropertiesBody(p.properties, out);
    out.append(raw_properties);
  }
}

}  // namespace

size_t EncodePublish(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version,
                     std::string& out) {
  const bool v5 = IsV5(version);
  const PublishLayout layout = LayOutPublish(p, raw_properties, v5);
  const size_t total = BeginPacket(FirstByte(PacketType::kPublish, PublishFlags(p)), layout.body, out);
  AppendPublishVariableHeader(p, raw_properties, v5, layout, out);
  out.append(p.payload);
  return total;
}

size_t EncodePublishHead(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version,
                         std::string& out) {
  const bool v5 = IsV5(version);
  const PublishLayout layout = LayOutPublish(p, raw_properties, v5);
  const size_t head = PacketSize(layout.body) - p.payload.size();
  out.reserve(out.size() + head);
  PutFixedHeader(FirstByte(PacketType::kPublish, PublishFlags(p)), layout.body, out);
  AppendPublishVariableHeader(p, raw_properties, v5, layout, out);
  return head;
}

size_t PublishPacketSize(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version) {
  const size_t body = LayOutPublish(p, raw_properties, IsV5(version)).body;
  return PacketSize(body);
}

size_t AckPacketSize(const AckPacket& p, ProtocolVersion version) {
  const ReasonTail tail(p.reason, p.properties, /*keep_length=*/false);
  const size_t body = 2 + (IsV5(version) ? tail.size() : 0);
  return PacketSize(body);
}

size_t EncodeAck(const AckPacket& p, ProtocolVersion version, std::string& out) {
  const uint8_t flags = p.type == PacketType::kPubrel ? 0b0010 : 0;
  const ReasonTail tail(p.reason, p.properties, /*keep_length=*/false);
  const size_t body = 2 + (IsV5(version) ? tail.size() : 0);
  const size_t total = BeginPacket(FirstByte(p.type, flags), body, out);
  PutU16(p.packet_id, out);
  if (IsV5(version)) tail.Append(out);
  return total;
}

size_t EncodeSubscribe(const SubscribePacket& p, ProtocolVersion version, std::string& out) {
  const bool v5 = IsV5(version);
  const PropertyBlock props(p.properties);
  size_t body = 2 + (v5 ? props.size() : 0);
  for (const TopicSubscription& sub : p.subscriptions) body += LengthPrefixedSize(sub.filter) + 1;
  const size_t total = BeginPacket(FirstByte(PacketType::kSubscribe, 0b0010), body, out);
  PutU16(p.packet_id, out);
  if (v5) props.Append(out);
  for (const TopicSubscription& sub : p.subscriptions) {
    PutLengthPrefixed(sub.filter, out);
    PutU8(SubscriptionOptionBits(sub.options, v5), out);
  }
  return total;
}

size_t EncodeSuback(const SubackPacket& p, ProtocolVersion version, std::string& out) {
  const bool v5 = IsV5(version);
  const bool has_codes = v5 || p.type == PacketType::kSuback;
  const PropertyBlock props(p.properties);
  const size_t body = 2 + (v5 ? props.size() : 0) + (has_codes ? p.reasons.size() : 0);
  const size_t total = BeginPacket(FirstByte(p.type), body, out);
  PutU16(p.packet_id, out);
  if (v5) props.Append(out);
  if (!has_codes) return total;
  for (ReasonCode reason : p.reasons) {
    PutU8(v5 ? static_cast<uint8_t>(reason) : Suback311Code(reason), out);
  }
  return total;
}

size_t EncodeUnsubscribe(const UnsubscribePacket& p, ProtocolVersion version, std::string& out) {
  const bool v5 = IsV5(version);
  const PropertyBlock props(p.properties);
  size_t body = 2 + (v5 ? props.size() : 0);
  for (std::string_view filter : p.filters) body += LengthPrefixedSize(filter);
  const size_t total = BeginPacket(FirstByte(PacketType::kUnsubscribe, 0b0010), body, out);
  PutU16(p.packet_id, out);
  if (v5) props.Append(out);
  for (std::string_view filter : p.filters) PutLengthPrefixed(filter, out);
  return total;
}

size_t EncodePingreq(std::string& out) { return BeginPacket(FirstByte(PacketType::kPingreq), 0, out); }

size_t EncodePingresp(std::string& out) { return BeginPacket(FirstByte(PacketType::kPingresp), 0, out); }

size_t EncodeDisconnect(const DisconnectPacket& p, ProtocolVersion version, std::string& out) {
  if (!IsV5(version)) return BeginPacket(FirstByte(PacketType::kDisconnect), 0, out);
  const ReasonTail tail(p.reason, p.properties, /*keep_length=*/false);
  const size_t total = BeginPacket(FirstByte(PacketType::kDisconnect), tail.size(), out);
  tail.Append(out);
  return total;
}

size_t EncodeAuth(const AuthPacket& p, std::string& out) {
  const ReasonTail tail(p.reason, p.properties, /*keep_length=*/true);
  const size_t total = BeginPacket(FirstByte(PacketType::kAuth), tail.size(), out);
  tail.Append(out);
  return total;
}

}  // namespace ringmq
