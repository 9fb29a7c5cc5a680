#include "core/http_upgrade.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base64.h"
#include "core/log_escape.h"
#include "core/text.h"

namespace ringmq {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kKeyBytes = 16;

// The request's headers that matter to the handshake. Headers a request may repeat as a comma list
// (RFC 9110 section 5.3) are joined; the others must appear at most once.
struct UpgradeHeaders {
  std::string upgrade;
  std::string connection;
  std::string protocols;
  std::optional<std::string_view> host;
  std::optional<std::string_view> key;
  std::optional<std::string_view> version;
  std::optional<std::string_view> origin;
};

std::string_view WithoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// HTTP's optional whitespace: spaces and tabs only.
std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool SameIgnoringCase(std::string_view a, std::string_view b) { return absl::EqualsIgnoreCase(AbslView(a), AbslView(b)); }

bool ListHasToken(std::string_view list, std::string_view token) {
  for (std::string_view item : SplitText(list, ',')) {
    if (SameIgnoringCase(TrimOws(item), token)) return true;
  }
  return false;
}

void AppendToList(std::string& list, std::string_view value) {
  if (!list.empty()) list += ',';
  list += value;
}

bool SetOnce(std::optional<std::string_view>& slot, std::string_view value) {
  if (slot.has_value()) return false;
  slot = value;
  return true;
}

// RFC 9110's token characters: visible ASCII but the delimiters.
bool IsHeaderName(std::string_view name) {
  constexpr std::string_view kDelimiters = "\"(),/:;<=>?@[\\]{}";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return c > ' ' && c < 0x7F && kDelimiters.find(c) == std::string_view::npos;
  });
}

// Records one header line; false when the line is not a header or repeats a single-valued one.
bool AddHeader(std::string_view line, UpgradeHeaders& headers) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsHeaderName(line.substr(0, colon))) return false;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (SameIgnoringCase(name, "Upgrade")) {
    AppendToList(headers.upgrade, value);
  } else if (SameIgnoringCase(name, "Connection")) {
    AppendToList(headers.connection, value);
  } else if (SameIgnoringCase(name, "Sec-WebSocket-Protocol")) {
    AppendToList(headers.protocols, value);
  } else if (SameIgnoringCase(name, "Host")) {
    return SetOnce(headers.host, value);
  } else if (SameIgnoringCase(name, "Sec-WebSocket-Key")) {
    return SetOnce(headers.key, value);
  } else if (SameIgnoringCase(name, "Sec-WebSocket-Version")) {
    return SetOnce(headers.version, value);
  } else if (SameIgnoringCase(name, "Origin")) {
    return SetOnce(headers.origin, value);
  }
  return true;
}

std::string_view ReasonPhrase(UpgradeStatus status) {
  switch (status) {
    case UpgradeStatus::kAccepted: return "Switching Protocols";
    case UpgradeStatus::kMalformed: return "Bad Request";
    case UpgradeStatus::kOriginForbidden: return "Forbidden";
    case UpgradeStatus::kNotFound: return "Not Found";
    case UpgradeStatus::kUnsupportedVersion: return "Upgrade Required";
    case UpgradeStatus::kHeadTooLarge: return "Request Header Fields Too Large";
  }
  return "Bad Request";
}

UpgradeAnswer Refuse(UpgradeStatus status, std::string reason) {
  UpgradeAnswer answer;
  answer.status = status;
  answer.reason = std::move(reason);
  const std::string_view phrase = ReasonPhrase(status);
  // 426 must name the versions the server speaks (RFC 6455 section 4.4).
  const std::string_view version = status == UpgradeStatus::kUnsupportedVersion ? "Sec-WebSocket-Version: 13\r\n" : "";
  answer.response = absl::StrCat("HTTP/1.1 ", HttpStatusCodeOf(status), " ", AbslView(phrase), "\r\n",
                                 AbslView(version), "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ",
                                 phrase.size() + 1, "\r\n\r\n", AbslView(phrase), "\n");
  return answer;
}

// `mqtt` first, `mqttv3.1` for MQTT 3.1 clients; "" when none was offered; nullopt when only others were.
std::optional<std::string> ChooseSubprotocol(std::string_view offered) {
  bool offered_any = false;
  bool offered_v31 = false;
  for (std::string_view item : SplitText(offered, ',')) {
    const std::string_view token = TrimOws(item);
    if (token.empty()) continue;
    offered_any = true;
    if (token == "mqtt") return std::string("mqtt");
    if (token == "mqttv3.1") offered_v31 = true;
  }
  if (offered_v31) return std::string("mqttv3.1");
  if (offered_any) return std::nullopt;
  return std::string();
}

bool OriginAllowed(std::optional<std::string_view> origin, std::span<const std::string> allowed) {
  // Only browsers send Origin, and only for them does it mean anything: any other client could write
  // whatever the list wants. So the list keeps other sites' pages out, and clients without an Origin in.
  if (allowed.empty() || !origin.has_value()) return true;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& entry) { return SameIgnoringCase(entry, *origin); });
}

UpgradeAnswer Accept(std::string_view key, std::string subprotocol) {
  UpgradeAnswer answer;
  answer.status = UpgradeStatus::kAccepted;
  answer.response = absl::StrCat("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
                                 "Sec-WebSocket-Accept: ", WebSocketAcceptFor(key), "\r\n");
  if (!subprotocol.empty()) absl::StrAppend(&answer.response, "Sec-WebSocket-Protocol: ", subprotocol, "\r\n");
  answer.response += "\r\n";
  answer.subprotocol = std::move(subprotocol);
  return answer;
}

// The header checks of RFC 6455 section 4.2.1, once the request line and path have passed.
UpgradeAnswer JudgeHeaders(const UpgradeHeaders& headers, const WebSocketUpgradeOptions& options) {
  if (!headers.host.has_value()) return Refuse(UpgradeStatus::kMalformed, "no Host header");
  if (!ListHasToken(headers.upgrade, "websocket")) {
    return Refuse(UpgradeStatus::kMalformed, "no 'Upgrade: websocket' (a plain HTTP request?)");
  }
  if (!ListHasToken(headers.connection, "upgrade")) {
    return Refuse(UpgradeStatus::kMalformed, "no 'upgrade' in the Connection header");
  }
  if (headers.version != "13") {
    return Refuse(UpgradeStatus::kUnsupportedVersion,
                  absl::StrCat("Sec-WebSocket-Version '", EscapeForLog(headers.version.value_or("")), "', not 13"));
  }
  const std::optional<std::vector<uint8_t>> key = Base64Decode(headers.key.value_or(""));
  if (!key.has_value() || key->size() != kKeyBytes) {
    return Refuse(UpgradeStatus::kMalformed, "Sec-WebSocket-Key missing or not 16 bytes in base64");
  }
  if (!OriginAllowed(headers.origin, options.allowed_origins)) {
    return Refuse(UpgradeStatus::kOriginForbidden,
                  absl::StrCat("origin '", EscapeForLog(*headers.origin), "' not allowed"));
  }
  std::optional<std::string> subprotocol = ChooseSubprotocol(headers.protocols);
  if (!subprotocol.has_value()) {
    return Refuse(UpgradeStatus::kMalformed,
                  absl::StrCat("no MQTT subprotocol offered (offered '", EscapeForLog(headers.protocols), "')"));
  }
  return Accept(*headers.key, std::move(*subprotocol));
}

}  // namespace

std::optional<size_t> FindRequestHeadEnd(std::string_view received, size_t search_from) {
  // A blank line is "\r\n\r\n", or "\n\n" from a lenient client; its start may be in bytes searched before.
  const size_t from = search_from > 3 ? search_from - 3 : 0;
  for (size_t newline = received.find('\n', from); newline != std::string_view::npos;
       newline = received.find('\n', newline + 1)) {
    const size_t after = newline + 1;
    if (after < received.size() && received[after] == '\n') return after + 1;
    if (after + 1 < received.size() && received[after] == '\r' && received[after + 1] == '\n') return after + 2;
  }
  return std::nullopt;
}

bool StartsLikeUpgradeRequest(std::string_view received) {
  constexpr std::string_view kStart = "GET /";
  const size_t compared = std::min(received.size(), kStart.size());
  return received.substr(0, compared) == kStart.substr(0, compared);
}

UpgradeAnswer AnswerWebSocketUpgrade(std::string_view head, const WebSocketUpgradeOptions& options) {
  std::vector<std::string_view> lines = SplitText(head, '\n');
  const std::string_view request_line = WithoutCr(lines.front());
  const std::vector<std::string_view> parts = SplitText(request_line, ' ');
  if (parts.size() != 3 || parts[0] != "GET" || !parts[1].starts_with('/') ||
      !parts[2].starts_with("HTTP/1.") || parts[2].size() == 7 || parts[2] == "HTTP/1.0") {
    return Refuse(UpgradeStatus::kMalformed,
                  absl::StrCat("request line '", EscapeForLog(request_line), "' is not 'GET /path HTTP/1.1'"));
  }
  const std::string_view path = parts[1].substr(0, parts[1].find('?'));
  if (path != options.path) {
    return Refuse(UpgradeStatus::kNotFound, absl::StrCat("path '", EscapeForLog(path), "' is not '", AbslView(options.path), "'"));
  }
  UpgradeHeaders headers;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = WithoutCr(lines[i]);
    if (line.empty()) break;  // the blank line ending the head
    if (!AddHeader(line, headers)) {
      return Refuse(UpgradeStatus::kMalformed, absl::StrCat("bad or repeated header line '", EscapeForLog(line), "'"));
    }
  }
  return JudgeHeaders(headers, options);
}

UpgradeAnswer HeadTooLargeAnswer() {
  return Refuse(UpgradeStatus::kHeadTooLarge,
                absl::StrCat("request head not ended within ", kMaxUpgradeHeadBytes, " bytes"));
}

std::string WebSocketAcceptFor(std::string_view key) {
  const std::string input = absl::StrCat(AbslView(key), AbslView(kAcceptGuid));
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) return "";
  return Base64Encode(std::span<const uint8_t>(digest.data(), size));
}

int HttpStatusCodeOf(UpgradeStatus status) {
  switch (status) {
    case UpgradeStatus::kAccepted: return 101;
    case UpgradeStatus::kMalformed: return 400;
    case UpgradeStatus::kOriginForbidden: return 403;
    case UpgradeStatus::kNotFound: return 404;
    case UpgradeStatus::kUnsupportedVersion: return 426;
    case UpgradeStatus::kHeadTooLarge: return 431;
  }
  return 400;
}

}  // namespace ringmq
