// The checks the two MQTT decoder fuzz targets share: split a byte stream into frames the way a shard
// does (core/frame.h), decode each with the decoder its packet type calls for (core/decoder.h), and
// assert what the codec promises - frames agree with an independent reading of the fixed header,
// every decoded view lies inside its packet's body, a rejection carries an MQTT error reason, and a
// packet that decodes re-encodes (core/encoder.h) to bytes that decode again to an equal packet.
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <span>

#include "core/packet.h"

namespace ringmq::fuzz {

// Checks every whole packet at the front of `stream`, as a connection negotiated at `version` would
// receive it (CONNECT always decodes its own version from its bytes).
void CheckMqttStream(std::span<const uint8_t> stream, ProtocolVersion version);

}  // namespace ringmq::fuzz
