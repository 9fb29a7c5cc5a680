#include "net/transport/websocket_transform.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/http_upgrade.h"

namespace ringmq {
namespace {

using Bytes = std::vector<uint8_t>;

const std::string kUpgrade =
    "GET /mqtt HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

const std::string k101 =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n"
    "\r\n";

// An MQTT CONNECT (3.1.1, client id "c") and a PINGREQ: the bytes the frames carry.
const std::string kConnect("\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01\x63", 15);
const std::string kPingreq("\xc0\x00", 2);

std::string Frame(uint8_t first_byte, std::string_view payload, std::array<uint8_t, 4> mask = {1, 2, 3, 4}) {
  std::string frame(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else {
    frame += static_cast<char>(0xFE);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size());
  }
  frame.append(mask.begin(), mask.end());
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

std::string Binary(std::string_view payload, bool fin = true) { return Frame(fin ? 0x82 : 0x02, payload); }

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

struct Peer {
  std::unique_ptr<StreamTransform> transform;
  std::string up;
  std::string down;

  explicit Peer(WebSocketOptions options = {}) : transform(NewWebSocketTransform(options)) {}
  absl::Status Receive(std::string_view bytes) { return transform->Receive(AsBytes(bytes), {up, down}); }
  void Upgrade() {
    ASSERT_TRUE(Receive(kUpgrade).ok());
    ASSERT_EQ(down, k101);
    ASSERT_TRUE(transform->established());
    down.clear();
  }
};

TEST(WebSocketTransform, UpgradesThenPassesMqttBytesUp) {
  Peer peer;
  EXPECT_FALSE(peer.transform->established());
  EXPECT_EQ(peer.transform->name(), "ws");
  peer.Upgrade();
  ASSERT_TRUE(peer.Receive(Binary(kConnect)).ok());
  EXPECT_EQ(peer.up, kConnect);
  EXPECT_TRUE(peer.down.empty());
}

// MQTT packets need not line up with frames [MQTT-6.0.0-2]: a packet across three frames of a
// fragmented message, then two packets in one frame.
TEST(WebSocketTransform, PacketsAcrossAndWithinFrames) {
  Peer peer;
  peer.Upgrade();
  const std::string stream = absl::StrCat(Binary(kConnect.substr(0, 3), false), Frame(0x00, kConnect.substr(3, 7)),
                                          Frame(0x80, kConnect.substr(10)), Binary(kPingreq + kPingreq));
  ASSERT_TRUE(peer.Receive(stream).ok());
  EXPECT_EQ(peer.up, kConnect + kPingreq + kPingreq);
}

TEST(WebSocketTransform, FirstFrameInTheSameSegmentAsTheHead) {
  Peer peer;
  ASSERT_TRUE(peer.Receive(absl::StrCat(kUpgrade, Binary(kConnect))).ok());
  EXPECT_EQ(peer.down, k101);
  EXPECT_EQ(peer.up, kConnect);
}

TEST(WebSocketTransform, EverySplitOfHeadAndFramesGivesTheSameBytes) {
  const std::string stream = absl::StrCat(kUpgrade, Binary(kConnect), Frame(0x89, "hi"), Binary(kPingreq));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Peer peer;
    ASSERT_TRUE(peer.Receive(std::string_view(stream).substr(0, cut)).ok()) << cut;
    ASSERT_TRUE(peer.Receive(std::string_view(stream).substr(cut)).ok()) << cut;
    EXPECT_EQ(peer.up, kConnect + kPingreq) << cut;
    EXPECT_EQ(peer.down, absl::StrCat(k101, "\x8a\x02hi")) << cut;
  }
}

TEST(WebSocketTransform, PingGetsPongWithItsPayload) {
  Peer peer;
  peer.Upgrade();
  ASSERT_TRUE(peer.Receive(absl::StrCat(Binary(kConnect.substr(0, 4), false), Frame(0x89, "are you there"),
                                        Frame(0x80, kConnect.substr(4))))
                  .ok());
  EXPECT_EQ(peer.down, "\x8a\x0d" "are you there");
  EXPECT_EQ(peer.up, kConnect);
  peer.down.clear();
  ASSERT_TRUE(peer.Receive(Frame(0x89, "alone")).ok());
  EXPECT_EQ(peer.down, "\x8a\x05" "alone") << "a ping alone is answered by the call that read it";
  peer.down.clear();
  ASSERT_TRUE(peer.Receive(Frame(0x8A, "unsolicited pong")).ok());
  EXPECT_TRUE(peer.down.empty());
}

TEST(WebSocketTransform, CloseIsEchoedAndEndsTheStream) {
  Peer peer;
  peer.Upgrade();
  ASSERT_TRUE(peer.Receive(absl::StrCat(Binary(kPingreq), Frame(0x88, "\x03\xe9going away"), Binary(kPingreq))).ok());
  EXPECT_TRUE(peer.transform->peer_closed());
  EXPECT_EQ(peer.up, kPingreq) << "nothing after the close is read";
  EXPECT_EQ(peer.down, std::string("\x88\x02\x03\xe9", 4));
  EXPECT_FALSE(peer.transform->Send(AsBytes(kPingreq), peer.down).ok());
}

TEST(WebSocketTransform, CloseWithoutStatusGetsAnEmptyClose) {
  Peer peer;
  peer.Upgrade();
  ASSERT_TRUE(peer.Receive(Frame(0x88, "")).ok());
  EXPECT_TRUE(peer.transform->peer_closed());
  EXPECT_EQ(peer.down, std::string("\x88\x00", 2));
}

struct Violation {
  std::string frames;
  std::string close_frame;
  std::string message;
};

TEST(WebSocketTransform, ViolationsCloseWithTheirCode) {
  const std::string unmasked = std::string("\x82\x02", 2) + kPingreq;
  const std::vector<Violation> violations = {
      {Frame(0x81, "text"), std::string("\x88\x02\x03\xeb", 4), "text frame"},
      {unmasked, std::string("\x88\x02\x03\xea", 4), "unmasked"},
      {Binary(std::string(101, 'x')), std::string("\x88\x02\x03\xf1", 4), "larger than the limit"},
      {Frame(0xC2, "x"), std::string("\x88\x02\x03\xea", 4), "reserved bits"},
      {Frame(0x80, "x"), std::string("\x88\x02\x03\xea", 4), "continuation"},
      {Frame(0x09, "x"), std::string("\x88\x02\x03\xea", 4), "fragmented control"},
  };
  for (const Violation& violation : violations) {
    Peer peer(WebSocketOptions{.max_message_size = 100});
    peer.Upgrade();
    const absl::Status status = peer.Receive(absl::StrCat(Binary(kPingreq), violation.frames, Binary(kPingreq)));
    EXPECT_FALSE(status.ok()) << violation.message;
    EXPECT_NE(status.message().find(violation.message), std::string::npos) << status.message();
    EXPECT_EQ(peer.down, violation.close_frame) << violation.message;
    EXPECT_EQ(peer.up, kPingreq) << violation.message;
    EXPECT_FALSE(peer.transform->peer_closed());
    peer.down.clear();
    EXPECT_TRUE(peer.Receive(Binary(kPingreq)).ok()) << "bytes after the close are dropped";
    EXPECT_TRUE(peer.down.empty());
  }
}

TEST(WebSocketTransform, RefusedUpgradesAnswerInHttp) {
  struct Case {
    std::string request;
    WebSocketOptions options;
    std::string status_line;
  };
  const std::vector<Case> cases = {
      {absl::StrReplaceAll(kUpgrade, {{"/mqtt", "/other"}}), {}, "HTTP/1.1 404 "},
      {absl::StrReplaceAll(kUpgrade, {{"/mqtt", "/ws"}}), {.path = "/mqtt"}, "HTTP/1.1 404 "},
      {absl::StrReplaceAll(kUpgrade, {{"Version: 13", "Version: 8"}}), {}, "HTTP/1.1 426 "},
      {absl::StrReplaceAll(kUpgrade, {{"Upgrade: websocket\r\n", ""}}), {}, "HTTP/1.1 400 "},
      {absl::StrReplaceAll(kUpgrade, {{"Host:", "Origin: http://evil\r\nHost:"}}),
       {.allowed_origins = {"http://good"}}, "HTTP/1.1 403 "},
  };
  for (const Case& refused : cases) {
    Peer peer(refused.options);
    const absl::Status status = peer.Receive(refused.request);
    EXPECT_FALSE(status.ok()) << refused.status_line;
    EXPECT_TRUE(peer.down.starts_with(refused.status_line)) << peer.down;
    EXPECT_FALSE(peer.transform->established());
    EXPECT_TRUE(peer.up.empty());
  }
  Peer custom_path(WebSocketOptions{.path = "/ws"});
  EXPECT_TRUE(custom_path.Receive(absl::StrReplaceAll(kUpgrade, {{"/mqtt", "/ws"}})).ok());
  EXPECT_TRUE(custom_path.transform->established());
}

// An MQTT client on a WebSocket port is answered at its first bytes, not at the bound or the timeout.
TEST(WebSocketTransform, MqttWithoutUpgradeRefusedAtOnce) {
  Peer peer;
  const absl::Status status = peer.Receive(kConnect);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(peer.down.starts_with("HTTP/1.1 400 ")) << peer.down;
  EXPECT_FALSE(peer.transform->established());
}

TEST(WebSocketTransform, EndlessHeadGets431AtTheBound) {
  Peer peer;
  ASSERT_TRUE(peer.Receive("GET /mqtt HTTP/1.1\r\n").ok());
  const std::string filler = "X-Filler: " + std::string(100, 'a') + "\r\n";
  absl::Status status;
  size_t sent = 20;
  while (status.ok() && sent < 2 * kMaxUpgradeHeadBytes) {
    status = peer.Receive(filler);
    sent += filler.size();
  }
  EXPECT_FALSE(status.ok());
  EXPECT_LE(sent, kMaxUpgradeHeadBytes + filler.size()) << "refused as soon as the bound is reached";
  EXPECT_TRUE(peer.down.starts_with("HTTP/1.1 431 ")) << peer.down;
}

TEST(WebSocketTransform, SendMakesOneBinaryFramePerCall) {
  Peer peer;
  EXPECT_FALSE(peer.transform->Send(AsBytes(kPingreq), peer.down).ok()) << "nothing goes out before the 101";
  peer.Upgrade();
  ASSERT_TRUE(peer.transform->Send(AsBytes(kConnect), peer.down).ok());
  EXPECT_EQ(peer.down, absl::StrCat(std::string("\x82\x0f", 2), kConnect));
  peer.down.clear();
  const std::string large(300, 'p');
  ASSERT_TRUE(peer.transform->Send(AsBytes(large), peer.down).ok());
  EXPECT_EQ(peer.down, absl::StrCat(std::string("\x82\x7e\x01\x2c", 4), large));
}

TEST(WebSocketTransform, CloseSendsNormalClosureOnce) {
  Peer before_upgrade;
  before_upgrade.transform->Close(before_upgrade.down);
  EXPECT_TRUE(before_upgrade.down.empty()) << "no WebSocket yet: nothing to close";
  Peer peer;
  peer.Upgrade();
  peer.transform->Close(peer.down);
  peer.transform->Close(peer.down);
  EXPECT_EQ(peer.down, std::string("\x88\x02\x03\xe8", 4));
  EXPECT_FALSE(peer.transform->Send(AsBytes(kPingreq), peer.down).ok());
}

}  // namespace
}  // namespace ringmq
