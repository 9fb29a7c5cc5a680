// The request line of an HTTP/1.x request head, as far as a metrics endpoint needs it: method and
// path. Headers are skipped (the endpoint serves one resource and ignores them).
// Thread ownership: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ringmq {

struct HttpRequestLine {
  std::string method;
  std::string path;  // the request target without its query string
};

enum class HttpHeadStatus {
  kIncomplete,  // no blank line yet: read more (up to the caller's size bound)
  kComplete,
  kMalformed,   // not an HTTP/1.x request line: answer 400
};

struct HttpHead {
  HttpHeadStatus status = HttpHeadStatus::kIncomplete;
  HttpRequestLine request;  // valid when status == kComplete
};

// Parses `received` (bytes read so far) as an HTTP/1.x request head ending in a blank line.
HttpHead ParseHttpRequestHead(std::string_view received);

}  // namespace ringmq
