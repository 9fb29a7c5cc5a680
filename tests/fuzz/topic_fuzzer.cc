// libFuzzer target: the topic name, topic filter and shared-subscription checks of core/topic.h
// against the rules of MQTT 5.0 sections 4.7 and 4.8.2 written out level by level.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/topic.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ringmq::SharedFilterStatus;

std::vector<std::string_view> Levels(std::string_view text) {
  std::vector<std::string_view> levels;
  size_t start = 0;
  for (size_t slash; (slash = text.find('/', start)) != std::string_view::npos; start = slash + 1) {
    levels.push_back(text.substr(start, slash - start));
  }
  levels.push_back(text.substr(start));
  return levels;
}

bool HasAny(std::string_view text, std::string_view chars) {
  for (char c : chars) {
    if (text.find(c) != std::string_view::npos) return true;
  }
  return false;
}

bool HasAllowedLength(std::string_view text) { return !text.empty() && text.size() <= ringmq::kMaxTopicLength; }

bool IsTopicNameByDefinition(std::string_view text) {
  return HasAllowedLength(text) && !HasAny(text, std::string_view("+#\0", 3));
}

bool IsTopicFilterByDefinition(std::string_view text) {
  if (!HasAllowedLength(text) || HasAny(text, std::string_view("\0", 1))) return false;
  const std::vector<std::string_view> levels = Levels(text);
  for (size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == "#" && i + 1 == levels.size()) continue;
    if (levels[i] == "+") continue;
    if (HasAny(levels[i], "+#")) return false;
  }
  return true;
}

bool IsInside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void CheckSharedFilter(std::string_view text) {
  const ringmq::SharedFilterParse parse = ringmq::ClassifySharedFilter(text);
  const auto subscription = ringmq::ParseSharedSubscription(text);
  FUZZ_CHECK((parse.status != SharedFilterStatus::kNotShared) == ringmq::IsSharedFilter(text));
  FUZZ_CHECK(ringmq::IsSharedFilter(text) == text.starts_with("$share/"));
  FUZZ_CHECK(subscription.has_value() == (parse.status == SharedFilterStatus::kValid));
  if (parse.status == SharedFilterStatus::kNotShared) return;
  // "$share/{group}/{filter}": the group is everything up to the next '/'.
  const std::string_view rest = text.substr(7);
  const size_t slash = rest.find('/');
  const bool valid = slash != std::string_view::npos && slash > 0 &&
                     !HasAny(rest.substr(0, slash), "+#") && IsTopicFilterByDefinition(rest.substr(slash + 1));
  FUZZ_CHECK(valid == (parse.status == SharedFilterStatus::kValid));
  if (!valid) return;
  const ringmq::SharedSubscription& shared = *subscription;
  FUZZ_CHECK(shared.group == rest.substr(0, slash) && shared.filter == rest.substr(slash + 1));
  FUZZ_CHECK(IsInside(shared.group, text) && IsInside(shared.filter, text));
  FUZZ_CHECK(parse.subscription.group == shared.group && parse.subscription.filter == shared.filter);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool name = ringmq::IsValidTopicName(text);
  const bool filter = ringmq::IsValidTopicFilter(text);
  FUZZ_CHECK(name == IsTopicNameByDefinition(text));
  FUZZ_CHECK(filter == IsTopicFilterByDefinition(text));
  FUZZ_CHECK(!name || filter);  // a topic name matches itself as a filter
  CheckSharedFilter(text);
  return 0;
}
