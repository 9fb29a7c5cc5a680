#include "core/topic.h"

#include <cstring>

namespace ringmq {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

bool ContainsAnyOf(std::string_view text, std::string_view chars) {
  return text.find_first_of(chars) != std::string_view::npos;
}

bool HasValidLength(std::string_view text) { return !text.empty() && text.size() <= kMaxTopicLength; }

bool ContainsNul(std::string_view text) { return std::memchr(text.data(), 0, text.size()) != nullptr; }

}  // namespace

bool IsValidTopicName(std::string_view topic) {
  return HasValidLength(topic) && !ContainsAnyOf(topic, std::string_view("+#\0", 3));
}

bool IsValidTopicFilter(std::string_view filter) {
  if (!HasValidLength(filter) || ContainsNul(filter)) return false;
  size_t level_start = 0;
  for (size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] != '/') continue;
    const std::string_view level = filter.substr(level_start, i - level_start);
    const bool is_last = i == filter.size();
    if (level == "#") {
      if (!is_last) return false;
    } else if (level != "+" && ContainsAnyOf(level, "+#")) {
      return false;
    }
    level_start = i + 1;
  }
  return true;
}

bool IsSharedFilter(std::string_view filter) { return filter.starts_with(kSharePrefix); }

SharedFilterParse ClassifySharedFilter(std::string_view filter) {
  if (!IsSharedFilter(filter)) return {SharedFilterStatus::kNotShared, {}};
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {SharedFilterStatus::kInvalid, {}};
  const std::string_view group = rest.substr(0, slash);
  const std::string_view inner = rest.substr(slash + 1);
  if (group.empty() || ContainsAnyOf(group, "+#") || !IsValidTopicFilter(inner)) {
    return {SharedFilterStatus::kInvalid, {}};
  }
  return {SharedFilterStatus::kValid, {group, inner}};
}

std::optional<SharedSubscription> ParseSharedSubscription(std::string_view filter) {
  const SharedFilterParse parse = ClassifySharedFilter(filter);
  if (parse.status != SharedFilterStatus::kValid) return std::nullopt;
  return parse.subscription;
}

}  // namespace ringmq
