#include "core/http_request.h"

#include <vector>

namespace ringmq {
namespace {

std::vector<std::string_view> SplitOnSpaces(std::string_view line) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t space = line.find(' ');
    parts.push_back(line.substr(0, space));
    if (space == std::string_view::npos) return parts;
    line.remove_prefix(space + 1);
  }
}

}  // namespace

HttpHead ParseHttpRequestHead(std::string_view received) {
  HttpHead head;
  // A request line is known once its line ends; a head whose first line is garbage is refused at
  // once rather than after the whole size bound has been read.
  const size_t line_end = received.find('\n');
  if (line_end == std::string_view::npos) return head;
  std::string_view line = received.substr(0, line_end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::vector<std::string_view> parts = SplitOnSpaces(line);
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || !parts[2].starts_with("HTTP/1.")) {
    head.status = HttpHeadStatus::kMalformed;
    return head;
  }
  for (char c : parts[0]) {
    if (c < 'A' || c > 'Z') {
      head.status = HttpHeadStatus::kMalformed;
      return head;
    }
  }
  if (received.find("\r\n\r\n") == std::string_view::npos && received.find("\n\n") == std::string_view::npos) {
    return head;
  }
  head.status = HttpHeadStatus::kComplete;
  head.request.method = std::string(parts[0]);
  head.request.path = std::string(parts[1].substr(0, parts[1].find('?')));
  return head;
}

}  // namespace ringmq
