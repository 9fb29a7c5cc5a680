// Encoding of the structs of core/packet.h into MQTT wire bytes.
// Each function appends one whole packet (fixed header included) to `out` and returns the bytes it
// appended. Pure. Thread ownership: stateless functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/packet.h"

namespace ringmq {

size_t EncodeConnect(const ConnectPacket& p, std::string& out);
size_t EncodeConnack(const ConnackPacket& p, ProtocolVersion version, std::string& out);
size_t EncodePublish(const PublishPacket& p, ProtocolVersion version, std::string& out);
// PUBLISH as the broker sends it (MQTT 5): the per-subscriber properties of `p.properties` (topic
// alias, subscription identifiers, message expiry) followed by `raw_properties`, property bytes that
// were encoded once when the message came in (core/passthrough_properties.h) and are copied, never
// decoded again. For 3.1.1 neither is written.
size_t EncodePublish(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version,
                     std::string& out);
// The PUBLISH of EncodePublish(p, raw_properties, version, ...) without its payload bytes: the fixed
// header (whose Remaining Length still counts p.payload), topic, packet id and properties. The caller
// sends p.payload from where it lives (net/output_queue.h), so a large payload is never copied per
// subscriber. Returns the bytes appended.
size_t EncodePublishHead(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version,
                         std::string& out);
// The bytes EncodePublish(p, raw_properties, version, ...) would append, without encoding.
size_t PublishPacketSize(const PublishPacket& p, std::string_view raw_properties, ProtocolVersion version);
// PUBACK/PUBREC/PUBREL/PUBCOMP. MQTT 5: reason code and properties omitted when success and empty.
size_t EncodeAck(const AckPacket& p, ProtocolVersion version, std::string& out);
// The bytes EncodeAck would append.
size_t AckPacketSize(const AckPacket& p, ProtocolVersion version);
size_t EncodeSubscribe(const SubscribePacket& p, ProtocolVersion version, std::string& out);
size_t EncodeSuback(const SubackPacket& p, ProtocolVersion version, std::string& out);  // and UNSUBACK
size_t EncodeUnsubscribe(const UnsubscribePacket& p, ProtocolVersion version, std::string& out);
size_t EncodePingreq(std::string& out);
size_t EncodePingresp(std::string& out);
size_t EncodeDisconnect(const DisconnectPacket& p, ProtocolVersion version, std::string& out);
size_t EncodeAuth(const AuthPacket& p, std::string& out);

// Size of the MQTT 5 property block (without its length prefix) as EncodePublish etc. would write it.
size_t PropertiesSize(const Properties& props);
// Appends the property block *with* its varint length prefix.
size_t EncodeProperties(const Properties& props, std::string& out);

// Varint helpers (remaining length, property lengths).
size_t VarintSize(uint32_t value);
size_t AppendVarint(uint32_t value, std::string& out);

}  // namespace ringmq
