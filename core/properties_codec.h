// MQTT 5 property blocks (section 2.2.2): decoding with the per-packet allowed-property table,
// duplicate detection and value checks; encoding and sizing.
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/decoder.h"
#include "core/packet.h"
#include "core/wire_reader.h"

namespace ringmq {

// Where a property block sits; decides which property identifiers are allowed (section 2.2.2.2).
enum class PropertyScope : uint16_t {
  kConnect = 1 << 0,
  kConnack = 1 << 1,
  kPublish = 1 << 2,            // PUBLISH sent by a client: no Subscription Identifier
  kPublishFromServer = 1 << 3,  // PUBLISH sent by the server: Subscription Identifiers, repeatable
  kWill = 1 << 4,
  kAck = 1 << 5,  // PUBACK, PUBREC, PUBREL, PUBCOMP
  kSubscribe = 1 << 6,
  kSuback = 1 << 7,
  kUnsubscribe = 1 << 8,
  kUnsuback = 1 << 9,
  kDisconnect = 1 << 10,
  kAuth = 1 << 11,
};

// True when property `id` may appear in a block of `scope`.
bool IsPropertyAllowed(uint8_t id, PropertyScope scope);

// Reads a property block (varint length, then the properties) into `props`, which must be empty.
// Truncation or a bad UTF-8 string -> kMalformedPacket; a property not allowed in `scope`, a
// forbidden duplicate or an out-of-range value -> kProtocolError (Topic Alias 0 -> kTopicAliasInvalid).
// Writes into the caller's struct rather than returning one: Properties is large and lives inside the
// packet being decoded.
DecodeError DecodeProperties(WireReader& in, PropertyScope scope, Properties& props);

// Size of the property block without its length prefix.
size_t PropertiesBodySize(const Properties& props);

// Appends the properties (no length prefix), in identifier order.
void AppendPropertiesBody(const Properties& props, std::string& out);

}  // namespace ringmq
