// The MQTT control packets as plain structs, for MQTT 3.1 (level 3), 3.1.1 (level 4) and 5.0 (level 5).
//
// Equality compares field by field (views by content); tests and the fuzz targets use it to check that
// what decodes re-encodes to the same packet.
//
// Every string and binary field is a view: after decoding it points into the bytes that were decoded,
// before encoding it points at storage the caller keeps alive until the encode call returns. That keeps
// decoding allocation-free on the hot path (PUBLISH); whoever needs a packet beyond the buffer's
// lifetime copies what it needs (see core/message.h).
//
// Thread ownership: plain values; a packet belongs to the thread that holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/reason_code.h"

namespace ringmq {

enum class PacketType : uint8_t {
  kReserved = 0,
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// The protocol level byte of CONNECT.
enum class ProtocolVersion : uint8_t {
  kV31 = 3,   // "MQIsdp", treated as 3.1.1 on the wire after CONNECT
  kV311 = 4,
  kV5 = 5,
};

constexpr bool IsV5(ProtocolVersion v) { return v == ProtocolVersion::kV5; }

struct UserProperty {
  std::string_view key;
  std::string_view value;

  bool operator==(const UserProperty&) const = default;
};

// MQTT 5 properties (section 2.2.2). A field is present when its optional is set (vectors: non-empty).
// Which properties a packet may carry is checked by the decoder; a property not allowed on the packet,
// or given twice where the specification forbids it, is a protocol error / malformed packet.
struct Properties {
  std::optional<uint8_t> payload_format_indicator;         // 0x01
  std::optional<uint32_t> message_expiry_interval;         // 0x02
  std::optional<std::string_view> content_type;            // 0x03
  std::optional<std::string_view> response_topic;          // 0x08
  std::optional<std::string_view> correlation_data;        // 0x09 (binary)
  std::vector<uint32_t> subscription_identifiers;          // 0x0B (varint, 1..268435455)
  std::optional<uint32_t> session_expiry_interval;         // 0x11
  std::optional<std::string_view> assigned_client_identifier;  // 0x12
  std::optional<uint16_t> server_keep_alive;               // 0x13
  std::optional<std::string_view> authentication_method;   // 0x15
  std::optional<std::string_view> authentication_data;     // 0x16 (binary)
  std::optional<uint8_t> request_problem_information;      // 0x17
  std::optional<uint32_t> will_delay_interval;             // 0x18
  std::optional<uint8_t> request_response_information;     // 0x19
  std::optional<std::string_view> response_information;    // 0x1A
  std::optional<std::string_view> server_reference;        // 0x1C
  std::optional<std::string_view> reason_string;           // 0x1F
  std::optional<uint16_t> receive_maximum;                 // 0x21
  std::optional<uint16_t> topic_alias_maximum;             // 0x22
  std::optional<uint16_t> topic_alias;                     // 0x23
  std::optional<uint8_t> maximum_qos;                      // 0x24
  std::optional<uint8_t> retain_available;                 // 0x25
  std::vector<UserProperty> user_properties;               // 0x26
  std::optional<uint32_t> maximum_packet_size;             // 0x27
  std::optional<uint8_t> wildcard_subscription_available;  // 0x28
  std::optional<uint8_t> subscription_identifier_available;  // 0x29
  std::optional<uint8_t> shared_subscription_available;    // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string_view topic;
  std::string_view payload;  // binary
  uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // MQTT 5 will properties

  bool operator==(const Will&) const = default;
};

struct ConnectPacket {
  ProtocolVersion version = ProtocolVersion::kV311;
  bool clean_start = true;  // "clean session" in 3.1.1
  uint16_t keep_alive = 0;  // seconds
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;  // binary
  Properties properties;

  bool operator==(const ConnectPacket&) const = default;
};

struct ConnackPacket {
  bool session_present = false;
  ReasonCode reason = ReasonCode::kSuccess;  // encoded as ToConnack311(reason) for 3.1.1
  Properties properties;

  bool operator==(const ConnackPacket&) const = default;
};

struct PublishPacket {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string_view topic;  // may be empty in MQTT 5 when a topic alias is given
  uint16_t packet_id = 0;  // only for QoS 1 and 2
  Properties properties;
  std::string_view payload;  // binary

  bool operator==(const PublishPacket&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
struct AckPacket {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;  // MQTT 5 only
  Properties properties;                     // MQTT 5 only

  bool operator==(const AckPacket&) const = default;
};

struct SubscriptionOptions {
  uint8_t max_qos = 0;
  bool no_local = false;             // MQTT 5
  bool retain_as_published = false;  // MQTT 5
  uint8_t retain_handling = 0;       // MQTT 5: 0 send, 1 send if new, 2 do not send

  bool operator==(const SubscriptionOptions&) const = default;
};

struct TopicSubscription {
  std::string_view filter;
  SubscriptionOptions options;

  bool operator==(const TopicSubscription&) const = default;
};

struct SubscribePacket {
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<TopicSubscription> subscriptions;  // at least one

  bool operator==(const SubscribePacket&) const = default;
};

// SUBACK and UNSUBACK: one reason code per topic filter. For 3.1.1 SUBACK the codes are
// 0x00/0x01/0x02/0x80; 3.1.1 UNSUBACK carries no codes on the wire.
struct SubackPacket {
  PacketType type = PacketType::kSuback;  // kSuback or kUnsuback
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;

  bool operator==(const SubackPacket&) const = default;
};

struct UnsubscribePacket {
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string_view> filters;  // at least one

  bool operator==(const UnsubscribePacket&) const = default;
};

struct DisconnectPacket {
  ReasonCode reason = ReasonCode::kSuccess;  // MQTT 5 only
  Properties properties;                     // MQTT 5 only

  bool operator==(const DisconnectPacket&) const = default;
};

struct AuthPacket {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;

  bool operator==(const AuthPacket&) const = default;
};

}  // namespace ringmq
