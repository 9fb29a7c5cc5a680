// Minimal leveled logging to stderr (Abseil 20220623 has no absl/log).
// Thread ownership: callable from any thread; each line is written with one write(2) so lines from
// different shards do not interleave.
#pragma once

#include <optional>
#include <string_view>

#include "absl/strings/str_format.h"

namespace ringmq {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Set once at start-up, before the shards start.
void SetLogLevel(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view text);
bool LogEnabled(LogLevel level);
void WriteLogLine(LogLevel level, std::string_view text);

template <typename... Args>
void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (!LogEnabled(level)) return;
  WriteLogLine(level, absl::StrFormat(format, args...));
}

}  // namespace ringmq
