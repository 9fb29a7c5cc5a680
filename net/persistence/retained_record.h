// The durable form of a retained message: key "r" + topic, value [version u8][qos u8]
// [expiry, Unix ms, i64; 0 = never][properties length u32][passthrough properties][payload].
//
// The expiry is stored as wall-clock time because the broker's clock is monotonic and starts again at
// each boot: a message with 60 s left when the broker stops has 60 s minus the downtime left when it
// starts (MQTT 5 Message Expiry Interval keeps counting).
// Thread ownership: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/message.h"

namespace ringmq {

// Publisher id of restored retained messages: not a session (no-local never matches it), not the
// broker itself (0: those are not counted against --max_retained_*).
inline constexpr uint64_t kRestoredPublisherId = ~uint64_t{0};

// Both clocks read at the same moment, to convert deadlines between them.
struct ClockPair {
  int64_t monotonic_ms = 0;
  int64_t wall_ms = 0;
};

inline constexpr std::string_view kRetainedKeyPrefix = "r";

// Whether a topic's retained message is saved: the broker's own $SYS topics are rebuilt at start.
bool IsDurableRetainedTopic(std::string_view topic);

std::string RetainedKey(std::string_view topic);
std::string EncodeRetainedValue(const Message& message, const ClockPair& now);

// The message stored under `key` (a RetainedKey), or nullopt when it has expired (by `now`) or the
// value is malformed.
std::optional<MessageRef> DecodeRetainedRecord(std::string_view key, std::string_view value, const ClockPair& now);

}  // namespace ringmq
