#include "net/transport/proxy_transform.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <string_view>

#include "net/connection_limits.h"

namespace ringmq {
namespace {

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// An MQTT 3.1.1 CONNECT (client id "a").
const std::string kConnect("\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01" "a", 15);
const std::string kV1Header = "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1883\r\n";
// send-proxy-v2 for [2001:db8::7]:50000 -> [::1]:1883, with a NOOP TLV.
const std::string kV2Header(
    "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a\x21\x21\x00\x28"
    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
    "\xc3\x50\x07\x5b\x04\x00\x01\x00",
    56);

struct Sinks {
  std::string up, down;
  TransformSinks get() { return {up, down}; }
};

PeerAddress SocketFormOf(const char* ipv4) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, ipv4, &v4.sin_addr);
  return *PeerAddressOf(storage);
}

TEST(ProxyTransform, V1HeaderThenMqttInOneRead) {
  auto transform = NewProxyProtocolTransform();
  EXPECT_EQ(transform->name(), "proxy");
  EXPECT_FALSE(transform->established());
  Sinks sinks;
  ASSERT_TRUE(transform->Receive(Bytes(kV1Header + kConnect), sinks.get()).ok());
  EXPECT_TRUE(transform->established());
  EXPECT_EQ(sinks.up, kConnect);  // the header never reaches MQTT
  EXPECT_EQ(sinks.down, "");
  const std::optional<ProxiedPeer> peer = transform->proxied_peer();
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->address, "203.0.113.7");
  EXPECT_EQ(peer->port, 51234);
  // The same 16 bytes the per-IP limits would count for a socket from that address.
  EXPECT_EQ(peer->bytes, SocketFormOf("203.0.113.7"));
}

TEST(ProxyTransform, HeaderArrivingOneByteAtATime) {
  for (const std::string& header : {kV1Header, kV2Header}) {
    auto transform = NewProxyProtocolTransform();
    Sinks sinks;
    const std::string stream = header + kConnect;
    for (size_t i = 0; i < stream.size(); ++i) {
      ASSERT_TRUE(transform->Receive(Bytes(std::string_view(stream).substr(i, 1)), sinks.get()).ok()) << i;
      EXPECT_EQ(transform->established(), i + 1 >= header.size()) << i;
      EXPECT_EQ(transform->proxied_peer().has_value(), i + 1 >= header.size()) << i;
    }
    EXPECT_EQ(sinks.up, kConnect);
  }
}

TEST(ProxyTransform, HeaderSplitAtEveryOffset) {
  for (const std::string& header : {kV1Header, kV2Header}) {
    const std::string stream = header + kConnect + kConnect;
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      auto transform = NewProxyProtocolTransform();
      Sinks sinks;
      ASSERT_TRUE(transform->Receive(Bytes(std::string_view(stream).substr(0, cut)), sinks.get()).ok());
      ASSERT_TRUE(transform->Receive(Bytes(std::string_view(stream).substr(cut)), sinks.get()).ok());
      EXPECT_TRUE(transform->established());
      EXPECT_EQ(sinks.up, kConnect + kConnect) << cut;
    }
  }
}

TEST(ProxyTransform, V2Ipv6Peer) {
  auto transform = NewProxyProtocolTransform();
  Sinks sinks;
  ASSERT_TRUE(transform->Receive(Bytes(kV2Header), sinks.get()).ok());
  EXPECT_TRUE(transform->established());
  EXPECT_EQ(sinks.up, "");
  ASSERT_TRUE(transform->proxied_peer().has_value());
  EXPECT_EQ(transform->proxied_peer()->address, "2001:db8::7");
  EXPECT_EQ(transform->proxied_peer()->port, 50000);
}

TEST(ProxyTransform, LocalAndUnknownKeepTheSocketsAddress) {
  const std::string local("\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a\x20\x00\x00\x00", 16);
  for (const std::string& header : {local, std::string("PROXY UNKNOWN\r\n")}) {
    auto transform = NewProxyProtocolTransform();
    Sinks sinks;
    ASSERT_TRUE(transform->Receive(Bytes(header + kConnect), sinks.get()).ok());
    EXPECT_TRUE(transform->established());
    EXPECT_FALSE(transform->proxied_peer().has_value());
    EXPECT_EQ(sinks.up, kConnect);
  }
}

TEST(ProxyTransform, PlainMqttWithoutHeaderIsRefused) {
  auto transform = NewProxyProtocolTransform();
  Sinks sinks;
  const absl::Status status = transform->Receive(Bytes(kConnect), sinks.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("PROXY protocol header refused"), std::string::npos) << status;
  EXPECT_NE(status.message().find("does not start with a PROXY protocol header"), std::string::npos) << status;
  EXPECT_FALSE(transform->established());
  EXPECT_EQ(sinks.up, "");  // not one byte of it reaches MQTT
  EXPECT_EQ(sinks.down, "");
  // Further bytes do not revive it.
  EXPECT_FALSE(transform->Receive(Bytes(kV1Header), sinks.get()).ok());
  EXPECT_EQ(sinks.up, "");
}

TEST(ProxyTransform, MalformedHeaderInPiecesIsRefusedWithItsReason) {
  auto transform = NewProxyProtocolTransform();
  Sinks sinks;
  ASSERT_TRUE(transform->Receive(Bytes("PROXY TCP4 1.2.3.4 5.6.7.8 "), sinks.get()).ok());
  const absl::Status status = transform->Receive(Bytes(std::string("70000 1883\r\n") + kConnect), sinks.get());
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("source port"), std::string::npos) << status;
  EXPECT_EQ(sinks.up, "");
}

TEST(ProxyTransform, OversizedV1LineIsRefused) {
  auto transform = NewProxyProtocolTransform();
  Sinks sinks;
  EXPECT_TRUE(transform->Receive(Bytes("PROXY UNKNOWN "), sinks.get()).ok());
  EXPECT_FALSE(transform->Receive(Bytes(std::string(200, 'x')), sinks.get()).ok());
}

TEST(ProxyTransform, BytesPassThroughUnchangedOnceEstablished) {
  auto transform = NewProxyProtocolTransform();
  Sinks sinks;
  ASSERT_TRUE(transform->Receive(Bytes(kV1Header), sinks.get()).ok());
  // Something that looks like a header after the header is MQTT's business, not ours.
  const std::string binary("\x30\x05\x00\x01t\x00\xff PROXY TCP4\r\n", 19);
  ASSERT_TRUE(transform->Receive(Bytes(binary), sinks.get()).ok());
  ASSERT_TRUE(transform->Receive(Bytes(binary), sinks.get()).ok());
  EXPECT_EQ(sinks.up, binary + binary);
  std::string down = "already queued ";
  ASSERT_TRUE(transform->Send(Bytes(binary), down).ok());
  EXPECT_EQ(down, "already queued " + binary);
  transform->Close(down);  // PROXY has no closing form
  EXPECT_EQ(down, "already queued " + binary);
  EXPECT_FALSE(transform->peer_closed());
  EXPECT_FALSE(transform->client_identity().has_value());
}

}  // namespace
}  // namespace ringmq
