#include "core/http_upgrade.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/text.h"

namespace ringmq {
namespace {

// RFC 6455 section 1.3's example handshake, on the broker's path and offering MQTT's subprotocol.
const std::string kRfcRequest =
    "GET /mqtt HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: mqtt, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

UpgradeAnswer Answer(std::string_view head, const std::vector<std::string>& origins = {}) {
  return AnswerWebSocketUpgrade(head, WebSocketUpgradeOptions{.path = "/mqtt", .allowed_origins = origins});
}

// The RFC request with one header line replaced (or removed, with an empty replacement).
std::string With(std::string_view old_line, std::string_view new_line) {
  std::string request(kRfcRequest);
  const std::string from = absl::StrCat(AbslView(old_line), "\r\n");
  const size_t at = request.find(from);
  EXPECT_NE(at, std::string::npos) << old_line;
  request.replace(at, from.size(), new_line.empty() ? "" : absl::StrCat(AbslView(new_line), "\r\n"));
  return request;
}

void ExpectRefused(const UpgradeAnswer& answer, UpgradeStatus status, int code) {
  EXPECT_EQ(answer.status, status) << answer.reason;
  EXPECT_TRUE(answer.response.starts_with(absl::StrCat("HTTP/1.1 ", code, " "))) << answer.response;
  EXPECT_NE(answer.response.find("Connection: close\r\n"), std::string::npos);
  EXPECT_FALSE(answer.reason.empty());
  // Content-Length matches the body after the head.
  const size_t body = answer.response.find("\r\n\r\n") + 4;
  EXPECT_NE(answer.response.find(absl::StrCat("Content-Length: ", answer.response.size() - body, "\r\n")),
            std::string::npos)
      << answer.response;
}

TEST(WebSocketAccept, RfcExampleKey) {
  EXPECT_EQ(WebSocketAcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketUpgrade, RfcHandshakeAccepted) {
  const UpgradeAnswer answer = Answer(kRfcRequest);
  ASSERT_EQ(answer.status, UpgradeStatus::kAccepted) << answer.reason;
  EXPECT_EQ(answer.subprotocol, "mqtt");
  EXPECT_EQ(answer.response,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: mqtt\r\n"
            "\r\n");
}

TEST(WebSocketUpgrade, SubprotocolChoice) {
  EXPECT_EQ(Answer(With("Sec-WebSocket-Protocol: mqtt, superchat", "Sec-WebSocket-Protocol: mqttv3.1")).subprotocol,
            "mqttv3.1");
  EXPECT_EQ(Answer(With("Sec-WebSocket-Protocol: mqtt, superchat", "Sec-WebSocket-Protocol: mqttv3.1,mqtt")).subprotocol,
            "mqtt");
  // Split over two header lines: one list.
  EXPECT_EQ(Answer(With("Sec-WebSocket-Protocol: mqtt, superchat",
                        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: mqtt"))
                .subprotocol,
            "mqtt");
  // None offered: accepted, none echoed.
  const UpgradeAnswer none = Answer(With("Sec-WebSocket-Protocol: mqtt, superchat", ""));
  ASSERT_EQ(none.status, UpgradeStatus::kAccepted);
  EXPECT_EQ(none.subprotocol, "");
  EXPECT_EQ(none.response.find("Sec-WebSocket-Protocol"), std::string::npos);
  // Only others offered: refused, naming them.
  const UpgradeAnswer others = Answer(With("Sec-WebSocket-Protocol: mqtt, superchat", "Sec-WebSocket-Protocol: chat, MQTT"));
  ExpectRefused(others, UpgradeStatus::kMalformed, 400);
  EXPECT_NE(others.reason.find("chat, MQTT"), std::string::npos) << others.reason;
}

TEST(WebSocketUpgrade, HeaderNamesAndTokensIgnoreCase) {
  std::string request = absl::StrReplaceAll(kRfcRequest, {{"Upgrade: websocket", "UPGRADE:   WebSocket "},
                                                           {"Connection: Upgrade", "connection: keep-alive,\tupgrade"},
                                                           {"Sec-WebSocket-Version", "sec-websocket-version"}});
  EXPECT_EQ(Answer(request).status, UpgradeStatus::kAccepted) << Answer(request).reason;
}

TEST(WebSocketUpgrade, BareLineFeedsAccepted) {
  const std::string request = absl::StrReplaceAll(kRfcRequest, {{"\r\n", "\n"}});
  EXPECT_EQ(Answer(request).status, UpgradeStatus::kAccepted);
}

TEST(WebSocketUpgrade, OtherPathIsNotFound) {
  ExpectRefused(Answer(absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt ", "GET /chat "}})), UpgradeStatus::kNotFound, 404);
  ExpectRefused(Answer(absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt ", "GET /mqtt/ "}})), UpgradeStatus::kNotFound, 404);
  EXPECT_EQ(Answer(absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt ", "GET /mqtt?token=1 "}})).status,
            UpgradeStatus::kAccepted);
}

TEST(WebSocketUpgrade, MalformedRequestsGet400) {
  const std::vector<std::string> malformed = {
      absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt", "POST /mqtt"}}),
      absl::StrReplaceAll(kRfcRequest, {{"HTTP/1.1\r\n", "HTTP/1.0\r\n"}}),
      absl::StrReplaceAll(kRfcRequest, {{"HTTP/1.1\r\n", "HTTP/1.\r\n"}}),
      absl::StrReplaceAll(kRfcRequest, {{"HTTP/1.1\r\n", "HTTP/2\r\n"}}),
      absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt ", "GET  /mqtt "}}),
      absl::StrReplaceAll(kRfcRequest, {{"GET /mqtt ", "GET http://h/mqtt "}}),
      "\r\n\r\n",
      With("Host: server.example.com", ""),
      With("Host: server.example.com", "Host: a\r\nHost: b"),
      With("Upgrade: websocket", ""),
      With("Upgrade: websocket", "Upgrade: h2c"),
      With("Connection: Upgrade", ""),
      With("Connection: Upgrade", "Connection: keep-alive"),
      With("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", ""),
      With("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: c2hvcnQ="),  // 5 bytes
      With("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"),
      With("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
      With("Origin: http://example.com", "no colon here"),
      With("Origin: http://example.com", " folded: line"),
      With("Origin: http://example.com", "Bad Name: x"),
      With("Origin: http://example.com", "Bad(Name): x"),
      With("Origin: http://example.com", ": no name"),
  };
  for (const std::string& request : malformed) {
    SCOPED_TRACE(request);
    ExpectRefused(Answer(request), UpgradeStatus::kMalformed, 400);
  }
}

TEST(WebSocketUpgrade, WrongVersionGets426NamingThirteen) {
  for (std::string_view line : {"Sec-WebSocket-Version: 8", "", "Sec-WebSocket-Version: 13, 8"}) {
    const UpgradeAnswer answer = Answer(With("Sec-WebSocket-Version: 13", line));
    ExpectRefused(answer, UpgradeStatus::kUnsupportedVersion, 426);
    EXPECT_NE(answer.response.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  }
}

TEST(WebSocketUpgrade, OriginAllowList) {
  const std::vector<std::string> allowed = {"https://app.example.com", "http://example.com"};
  EXPECT_EQ(Answer(kRfcRequest, allowed).status, UpgradeStatus::kAccepted);
  EXPECT_EQ(Answer(With("Origin: http://example.com", "Origin: HTTP://Example.com"), allowed).status,
            UpgradeStatus::kAccepted);
  // No Origin: not a browser, so the list (which protects browsers) does not apply.
  EXPECT_EQ(Answer(With("Origin: http://example.com", ""), allowed).status, UpgradeStatus::kAccepted);
  const UpgradeAnswer evil = Answer(With("Origin: http://example.com", "Origin: http://evil.example\x1b[2J"), allowed);
  ExpectRefused(evil, UpgradeStatus::kOriginForbidden, 403);
  EXPECT_EQ(evil.reason.find('\x1b'), std::string::npos) << "client text is escaped for the log";
  // An empty list allows any origin.
  EXPECT_EQ(Answer(With("Origin: http://example.com", "Origin: http://evil.example")).status, UpgradeStatus::kAccepted);
}

TEST(WebSocketUpgrade, HeadTooLarge) {
  const UpgradeAnswer answer = HeadTooLargeAnswer();
  ExpectRefused(answer, UpgradeStatus::kHeadTooLarge, 431);
}

TEST(WebSocketUpgrade, StartsLikeUpgradeRequest) {
  EXPECT_TRUE(StartsLikeUpgradeRequest(""));
  EXPECT_TRUE(StartsLikeUpgradeRequest("GE"));
  EXPECT_TRUE(StartsLikeUpgradeRequest("GET /"));
  EXPECT_TRUE(StartsLikeUpgradeRequest(kRfcRequest));
  EXPECT_FALSE(StartsLikeUpgradeRequest(std::string("\x10\x0d\x00\x04MQTT", 8)));  // an MQTT CONNECT
  EXPECT_FALSE(StartsLikeUpgradeRequest("POST"));
  EXPECT_FALSE(StartsLikeUpgradeRequest("GET http://"));
}

TEST(RequestHeadEnd, FoundAfterTheBlankLine) {
  EXPECT_EQ(FindRequestHeadEnd(kRfcRequest), kRfcRequest.size());
  EXPECT_EQ(FindRequestHeadEnd("GET / HTTP/1.1\n\nrest"), 16u);
  EXPECT_EQ(FindRequestHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), std::nullopt);
  EXPECT_EQ(FindRequestHeadEnd(""), std::nullopt);
  const std::string with_frame = absl::StrCat(kRfcRequest, "\x82\x80");
  EXPECT_EQ(FindRequestHeadEnd(with_frame), kRfcRequest.size());
}

// Searching only the new bytes (minus three) finds the end wherever the pieces were cut.
TEST(RequestHeadEnd, IncrementalSearchFindsEveryCut) {
  for (size_t cut = 0; cut < kRfcRequest.size(); ++cut) {
    const std::string first = kRfcRequest.substr(0, cut);
    if (FindRequestHeadEnd(first).has_value()) continue;
    EXPECT_EQ(FindRequestHeadEnd(kRfcRequest, cut), kRfcRequest.size()) << cut;
  }
}

}  // namespace
}  // namespace ringmq
