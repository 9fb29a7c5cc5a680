// Validation of MQTT UTF-8 Encoded Strings (MQTT 3.1.1 section 1.5.3, 5.0 section 1.5.4).
// Thread ownership: stateless function, any thread.
#pragma once

#include <string_view>

namespace ringmq {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates U+D800..U+DFFF, nothing
// above U+10FFFF) and contains no U+0000. Control characters and non-characters are allowed: the
// specification only says a receiver MAY reject them, and rejecting would break real clients.
bool IsValidMqttUtf8(std::string_view text);

}  // namespace ringmq
