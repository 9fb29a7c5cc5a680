// TopicMatches: whether one MQTT topic filter matches one topic name (MQTT 3.1.1 / 5.0 section 4.7).
// The reference semantics the tries in routing/ implement; also handy for one-off checks (e.g. a
// will message against a single filter) where building a trie is not worth it.
//
// Thread ownership: a pure function, callable from any thread.
#pragma once

#include <string_view>

namespace ringmq {

// Both arguments must already be valid (core/topic.h): `filter` a topic filter, `topic` a topic
// name without wildcards. `+` matches exactly one level, `#` the current level and every level
// below it including the parent (`a/#` matches `a`), empty levels count as levels, and a topic
// starting with `$` is not matched by a filter whose first level is a wildcard.
bool TopicMatches(std::string_view filter, std::string_view topic);

}  // namespace ringmq
