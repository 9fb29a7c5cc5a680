// Makes client-supplied text safe to put in a log line: a client id or topic with a newline must not
// forge a line, and one with terminal escapes must not rewrite what an operator sees.
// Thread ownership: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringmq {

// Longest part of a client-supplied string a log line shows: enough to recognise a client id or a
// topic, bounded so one client cannot make every line it causes kilobytes long.
inline constexpr size_t kLogFieldMaxBytes = 128;

// Printable ASCII is kept; `\` becomes `\\`, newline/CR/tab `\n`/`\r`/`\t`, every other byte
// (controls, DEL, non-ASCII) `\xNN`. Input beyond `max_bytes` is cut and marked with `...`.
std::string EscapeForLog(std::string_view text, size_t max_bytes = kLogFieldMaxBytes);

}  // namespace ringmq
