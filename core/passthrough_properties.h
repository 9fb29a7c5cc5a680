// The MQTT 5 PUBLISH (and will) properties the broker forwards untouched to every subscriber: payload
// format indicator, content type, response topic, correlation data and user properties. They are
// encoded once when a message arrives and stored in the Message (MessageParams::passthrough_properties);
// the encoder copies the bytes into each outgoing PUBLISH without decoding them again.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <string>

#include "core/packet.h"

namespace ringmq {

// True when `props` carries any property that is forwarded to subscribers.
bool HasPassthroughProperties(const Properties& props);

// Appends the forwarded properties of `props` (property bodies, no length prefix) to `out`.
void AppendPassthroughProperties(const Properties& props, std::string& out);

}  // namespace ringmq
