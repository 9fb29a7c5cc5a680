#include "tools/bench/ws_client_stream.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>
#include <vector>

namespace ringmq::bench {
namespace {

std::string AcceptFor(const std::string& request) {
  const std::string header = "Sec-WebSocket-Key: ";
  const size_t at = request.find(header);
  const std::string key = request.substr(at + header.size(), request.find("\r\n", at) - at - header.size());
  const std::string joined = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  unsigned char encoded[64];
  const int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(encoded), length);
}

std::string ServerFrame(uint8_t opcode, const std::string& payload, bool fin = true) {
  std::string frame(1, static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    frame += static_cast<char>(payload.size());
  } else {
    frame += static_cast<char>(126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xFF);
  }
  return frame + payload;
}

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Decodes one client frame: checks it is a masked binary/pong frame and returns its payload unmasked.
std::string UnmaskClientFrame(const std::string& frame, uint8_t want_opcode, size_t* used = nullptr) {
  EXPECT_GE(frame.size(), 6u);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x80 | want_opcode);
  EXPECT_TRUE(static_cast<uint8_t>(frame[1]) & 0x80) << "client frames must be masked";
  uint64_t length = static_cast<uint8_t>(frame[1]) & 0x7F;
  size_t header = 2;
  if (length == 126) {
    length = (static_cast<uint8_t>(frame[2]) << 8) | static_cast<uint8_t>(frame[3]);
    header = 4;
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | static_cast<uint8_t>(frame[2 + i]);
    header = 10;
  }
  const std::string mask = frame.substr(header, 4);
  std::string payload = frame.substr(header + 4, length);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
  if (used != nullptr) *used = header + 4 + length;
  return payload;
}

class WsClientStreamTest : public ::testing::Test {
 protected:
  // Runs the upgrade; `after` is what the broker sends right behind the 101 response.
  void Upgrade(const std::string& after = "") {
    ASSERT_TRUE(stream_.Start(request_).ok());
    const std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Accept: " + AcceptFor(request_) +
                                 "\r\nsec-websocket-protocol: mqtt\r\n\r\n" + after;
    ASSERT_TRUE(stream_.Receive(Bytes(response), app_, wire_).ok());
    ASSERT_TRUE(stream_.established());
  }

  WsClientStream stream_{"127.0.0.1:8080", "/mqtt"};
  std::string request_;
  std::string app_;
  std::string wire_;
};

TEST(ApplyWebSocketMaskTest, MatchesBytewiseXorAtEveryLengthAndOffset) {
  const uint8_t key_bytes[4] = {0x12, 0x9A, 0xFE, 0x01};
  uint32_t key;
  std::memcpy(&key, key_bytes, 4);
  for (size_t size = 0; size < 40; ++size) {
    std::vector<uint8_t> data(size + 3);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    std::vector<uint8_t> expected = data;
    for (size_t i = 0; i < size; ++i) expected[1 + i] ^= key_bytes[i % 4];
    ApplyWebSocketMask(data.data() + 1, size, key);  // unaligned on purpose
    EXPECT_EQ(data, expected) << "size " << size;
  }
}

TEST_F(WsClientStreamTest, RequestAsksForTheMqttSubprotocolAtThePath) {
  ASSERT_TRUE(stream_.Start(request_).ok());
  EXPECT_EQ(request_.rfind("GET /mqtt HTTP/1.1\r\n", 0), 0u) << request_;
  EXPECT_NE(request_.find("\r\nHost: 127.0.0.1:8080\r\n"), std::string::npos);
  EXPECT_NE(request_.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(request_.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(request_.find("\r\nSec-WebSocket-Protocol: mqtt\r\n"), std::string::npos);
  EXPECT_EQ(request_.substr(request_.size() - 4), "\r\n\r\n");
  EXPECT_FALSE(stream_.established());
}

TEST_F(WsClientStreamTest, HoldsBytesUntilUpgradedThenSendsThemAsOneMaskedFrame) {
  ASSERT_TRUE(stream_.Start(request_).ok());
  ASSERT_TRUE(stream_.Send("\x10\x0c" "CONNECT...", wire_).ok());
  EXPECT_TRUE(wire_.empty()) << "nothing may follow the upgrade request before the 101";
  const std::string response = "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + AcceptFor(request_) +
                               "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
  // The response arrives in two pieces.
  ASSERT_TRUE(stream_.Receive(Bytes(response.substr(0, 20)), app_, wire_).ok());
  EXPECT_FALSE(stream_.established());
  ASSERT_TRUE(stream_.Receive(Bytes(response.substr(20)), app_, wire_).ok());
  EXPECT_TRUE(stream_.established());
  EXPECT_EQ(UnmaskClientFrame(wire_, 0x2), "\x10\x0c" "CONNECT...");
}

TEST_F(WsClientStreamTest, FramesRightBehindTheUpgradeResponseAreDecoded) {
  Upgrade(ServerFrame(0x2, std::string("\x20\x02\x00\x00", 4)));
  EXPECT_EQ(app_, std::string("\x20\x02\x00\x00", 4));
}

TEST_F(WsClientStreamTest, FramesSplitAcrossReceivesAndFragmentedMessagesJoin) {
  Upgrade();
  const std::string payload(300, 'p');  // 16-bit length form
  const std::string wire = ServerFrame(0x2, payload.substr(0, 100), /*fin=*/false) +
                           ServerFrame(0x0, payload.substr(100)) + ServerFrame(0x2, "tail");
  for (size_t at = 0; at < wire.size(); at += 7) {
    ASSERT_TRUE(stream_.Receive(Bytes(wire.substr(at, 7)), app_, wire_).ok());
  }
  EXPECT_EQ(app_, payload + "tail");
  EXPECT_TRUE(wire_.empty());
}

TEST_F(WsClientStreamTest, PingIsAnsweredWithAMaskedPong) {
  Upgrade();
  ASSERT_TRUE(stream_.Receive(Bytes(ServerFrame(0x9, "hi")), app_, wire_).ok());
  EXPECT_TRUE(app_.empty());
  EXPECT_EQ(UnmaskClientFrame(wire_, 0xA), "hi");
}

TEST_F(WsClientStreamTest, LargeSendsUseTheLongLengthFormsAndFreshMasks) {
  Upgrade();
  const std::string medium(70'000 - 1, 'm');  // > 65535: 64-bit length
  const std::string small(200, 's');
  ASSERT_TRUE(stream_.Send(medium, wire_).ok());
  ASSERT_TRUE(stream_.Send(small, wire_).ok());
  size_t used = 0;
  EXPECT_EQ(UnmaskClientFrame(wire_, 0x2, &used), medium);
  const std::string second = wire_.substr(used);
  EXPECT_EQ(UnmaskClientFrame(second, 0x2), small);
  EXPECT_NE(wire_.substr(10, 4), second.substr(4, 4)) << "each frame gets its own mask";
}

TEST_F(WsClientStreamTest, RefusalsAndProtocolErrorsFailTheStream) {
  WsClientStream refused("h:1", "/mqtt");
  std::string request, app, wire;
  ASSERT_TRUE(refused.Start(request).ok());
  EXPECT_FALSE(refused.Receive(Bytes("HTTP/1.1 404 Not Found\r\n\r\n"), app, wire).ok());

  WsClientStream wrong_accept("h:1", "/mqtt");
  ASSERT_TRUE(wrong_accept.Start(request).ok());
  EXPECT_FALSE(wrong_accept
                   .Receive(Bytes("HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"),
                            app, wire)
                   .ok());

  Upgrade();
  EXPECT_FALSE(stream_.Receive(Bytes(ServerFrame(0x1, "text")), app_, wire_).ok());
}

TEST_F(WsClientStreamTest, MaskedOrClosingServerFramesFail) {
  Upgrade();
  std::string masked = ServerFrame(0x2, "abcd");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  EXPECT_FALSE(stream_.Receive(Bytes(masked), app_, wire_).ok());

  WsClientStream closing("h:1", "/mqtt");
  std::string request, app, wire;
  ASSERT_TRUE(closing.Start(request).ok());
  const std::string response = "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: " + AcceptFor(request) +
                               "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n" + ServerFrame(0x8, "\x03\xe8");
  EXPECT_FALSE(closing.Receive(Bytes(response), app, wire).ok());
}

}  // namespace
}  // namespace ringmq::bench
