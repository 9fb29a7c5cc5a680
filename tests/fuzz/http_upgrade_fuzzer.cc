// libFuzzer target: the WebSocket upgrade of core/http_upgrade.h. The input is what a client sends
// first. Checked: FindRequestHeadEnd finds the same end when the bytes arrive in two pieces and the
// second search starts where the first stopped; a found end is just past a blank line, with none
// before it; every answer's response is a well-formed HTTP/1.1 head whose status code matches its
// status, carrying no byte of the client's (no header injection), with a Content-Length that matches
// its body; a refusal's reason is fit for one log line (printable ASCII); an acceptance is for a GET of
// the listener's path, with a Sec-WebSocket-Accept of SHA-1's 28 base64 characters and a subprotocol
// it may choose.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_upgrade.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

bool PrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// The response's lines are the broker's own: printable ASCII lines ending in CRLF, then the body.
void CheckResponse(const ringmq::UpgradeAnswer& answer) {
  const std::string& response = answer.response;
  const std::string status_line = "HTTP/1.1 " + std::to_string(ringmq::HttpStatusCodeOf(answer.status)) + " ";
  FUZZ_CHECK(response.starts_with(status_line));
  const size_t head_end = response.find("\r\n\r\n");
  FUZZ_CHECK(head_end != std::string::npos);
  const std::string_view head = std::string_view(response).substr(0, head_end);
  size_t start = 0;
  while (start <= head.size()) {
    const size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    FUZZ_CHECK(!line.empty() && PrintableAscii(line));
    if (end == std::string_view::npos) break;
    start = end + 2;
  }
  const std::string_view body = std::string_view(response).substr(head_end + 4);
  if (answer.status == ringmq::UpgradeStatus::kAccepted) {
    FUZZ_CHECK(body.empty());
  } else {
    FUZZ_CHECK(head.find("\r\nContent-Length: " + std::to_string(body.size())) != std::string_view::npos);
    FUZZ_CHECK(!answer.reason.empty() && PrintableAscii(answer.reason));
  }
}

std::optional<std::string_view> HeaderValue(std::string_view head, std::string_view name) {
  const size_t at = head.find("\r\n" + std::string(name) + ": ");
  if (at == std::string_view::npos) return std::nullopt;
  const size_t from = at + 4 + name.size();
  return head.substr(from, head.find("\r\n", from) - from);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view received(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::optional<size_t> end = ringmq::FindRequestHeadEnd(received);
  const size_t cut = data[0] % (received.size() + 1);
  const std::optional<size_t> end_in_first = ringmq::FindRequestHeadEnd(received.substr(0, cut));
  FUZZ_CHECK(end_in_first.has_value() ? end_in_first == end : ringmq::FindRequestHeadEnd(received, cut) == end);
  if (!end.has_value()) {
    CheckResponse(ringmq::HeadTooLargeAnswer());
    return 0;
  }
  const std::string_view head = received.substr(0, *end);
  FUZZ_CHECK(head.ends_with("\n\n") || head.ends_with("\n\r\n"));
  FUZZ_CHECK(!ringmq::FindRequestHeadEnd(head.substr(0, head.size() - 1)).has_value());

  const std::vector<std::string> origins = {"http://example.com", "https://app.example"};
  const ringmq::WebSocketUpgradeOptions options{
      .path = "/mqtt", .allowed_origins = (data[0] & 1) ? std::span<const std::string>(origins) : std::span<const std::string>()};
  const ringmq::UpgradeAnswer answer = ringmq::AnswerWebSocketUpgrade(head, options);
  CheckResponse(answer);
  if (answer.status != ringmq::UpgradeStatus::kAccepted) return 0;
  FUZZ_CHECK(answer.subprotocol.empty() || answer.subprotocol == "mqtt" || answer.subprotocol == "mqttv3.1");
  FUZZ_CHECK(head.starts_with("GET /mqtt") && ringmq::StartsLikeUpgradeRequest(head));
  const std::optional<std::string_view> accept = HeaderValue(answer.response, "Sec-WebSocket-Accept");
  FUZZ_CHECK(accept.has_value() && accept->size() == 28);
  return 0;
}
