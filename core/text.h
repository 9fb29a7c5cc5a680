// Small text helpers for the parsers of the operator's files (password, ACL, SCRAM) and the SCRAM
// messages: splitting, trimming, and the bridge to Debian Abseil's own absl::string_view.
// Thread ownership: stateless functions, any thread.
#pragma once

#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace ringmq {

// Debian's Abseil has its own absl::string_view type, which StrCat and StrFormat take.
inline absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

// The pieces between separators: "a,,b" -> {"a", "", "b"}; "" -> {""}.
inline std::vector<std::string_view> SplitText(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// What C's isspace() calls blank (mosquitto trims its files with it): space, \t, \n, \v, \f, \r.
inline constexpr std::string_view kBlanks = " \t\n\v\f\r";

inline std::string_view TrimBlanks(std::string_view text) {
  const size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

}  // namespace ringmq
