// Minimal leveled logging to stderr (Abseil 20220623 has no absl/log).
// Thread ownership: callable from any thread. Between StartLogWriter() and StopLogWriter() a line is
// only queued (a short critical section, bounded queue) and one writer thread writes it, so a shard
// never waits for a slow stderr; a line that finds the queue full is dropped and counted, and the
// writer reports the count once it can write again. Outside that window lines are written at once.
// Each line goes out whole in one write(2) batch, so lines from different shards do not interleave.
// Client-supplied text (client ids, topics, reason strings) must go through LogText().
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "core/log_escape.h"

namespace ringmq {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Set once at start-up, before the shards start.
void SetLogLevel(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view text);
bool LogEnabled(LogLevel level);
void WriteLogLine(LogLevel level, std::string_view text);

// Lines that may wait for the writer thread; beyond them lines are dropped (and counted). At ~100
// bytes a line that is 400 KiB, several times a pipe's 64 KiB buffer.
inline constexpr size_t kLogQueueLines = 4096;
// Called by main around the broker's run; StopLogWriter() writes everything queued before it returns.
void StartLogWriter();
void StopLogWriter();

// Client-supplied text, escaped and bounded for a log line (see core/log_escape.h).
inline std::string LogText(std::string_view client_text) { return EscapeForLog(client_text); }

// One warning per kind of refusal every few seconds (a flood must not become a log flood); the
// caller keeps `last_report_ms` (a static per kind), shared by every shard.
void ReportRefusal(std::atomic<int64_t>& last_report_ms, int64_t now_ms, std::string_view what);

template <typename... Args>
void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (!LogEnabled(level)) return;
  WriteLogLine(level, absl::StrFormat(format, args...));
}

}  // namespace ringmq
