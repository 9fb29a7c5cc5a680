// Topic name and topic filter syntax (MQTT 3.1.1 section 4.7, 5.0 sections 4.7 and 4.8.2).
// These check structure only; UTF-8 well-formedness is checked by IsValidMqttUtf8 (core/utf8.h).
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ringmq {

inline constexpr size_t kMaxTopicLength = 65'535;

// A topic name as PUBLISH carries it: non-empty, at most 65535 bytes, no '+', '#' or U+0000.
bool IsValidTopicName(std::string_view topic);

// A topic filter: non-empty, at most 65535 bytes, no U+0000; '+' alone in its level; '#' alone in
// the last level.
bool IsValidTopicFilter(std::string_view filter);

// True when the filter uses the shared-subscription prefix "$share/" (valid or not).
bool IsSharedFilter(std::string_view filter);

struct SharedSubscription {
  std::string_view group;
  std::string_view filter;
};

enum class SharedFilterStatus : uint8_t {
  kNotShared,  // an ordinary filter
  kValid,      // "$share/{group}/{filter}" with a valid group and filter
  kInvalid,    // starts with "$share/" but the group or filter is wrong: answer kTopicFilterInvalid
};

struct SharedFilterParse {
  SharedFilterStatus status = SharedFilterStatus::kNotShared;
  SharedSubscription subscription;  // set when status is kValid
};

// Splits "$share/{group}/{filter}". The group must be non-empty without '/', '+' or '#'; the filter
// must be a valid topic filter.
SharedFilterParse ClassifySharedFilter(std::string_view filter);

// The subscription when ClassifySharedFilter says kValid, otherwise nullopt.
std::optional<SharedSubscription> ParseSharedSubscription(std::string_view filter);

}  // namespace ringmq
