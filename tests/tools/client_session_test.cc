#include "tools/bench/client_session.h"

#include <gtest/gtest.h>

#include "core/decoder.h"
#include "core/encoder.h"
#include "core/frame.h"

namespace ringmq::bench {
namespace {

struct Parsed {
  Frame frame;
  std::span<const uint8_t> body;
};

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Splits `wire` (which must hold whole packets) into frames.
std::vector<Parsed> Frames(const std::string& wire) {
  std::vector<Parsed> frames;
  std::span<const uint8_t> rest = Bytes(wire);
  while (!rest.empty()) {
    FrameResult r = ParseFrame(rest, 1 << 20);
    EXPECT_EQ(r.status, FrameStatus::kOk);
    if (r.status != FrameStatus::kOk) break;
    frames.push_back({r.frame, rest.subspan(r.frame.header_size, r.frame.remaining_length)});
    rest = rest.subspan(r.frame.total_size());
  }
  return frames;
}

SessionEvent Feed(ClientSession& session, const std::string& packet, std::string& out) {
  std::vector<Parsed> frames = Frames(packet);
  EXPECT_EQ(frames.size(), 1u);
  return session.HandlePacket(frames[0].frame, frames[0].body, out);
}

// Feeds the session the broker's SUBACK for `packet_id` with one `reason`; the event it reports.
SessionEventKind FeedSuback(ClientSession& session, ProtocolVersion version, uint16_t packet_id, ReasonCode reason,
                            std::string& out) {
  std::string broker;
  EncodeSuback(SubackPacket{.packet_id = packet_id, .reasons = {reason}}, version, broker);
  return Feed(session, broker, out).kind;
}

SessionSettings Settings(ProtocolVersion version, uint8_t qos) {
  SessionSettings s;
  s.version = version;
  s.client_id = "bench-1";
  s.qos = qos;
  s.inflight_limit = 2;
  s.username = "user";
  s.password = "pw";
  return s;
}

class ClientSessionTest : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(ClientSessionTest, ConnectCarriesTheSettings) {
  ClientSession session(Settings(GetParam(), 0));
  std::string out;
  session.AppendConnect(out);
  std::vector<Parsed> frames = Frames(out);
  ASSERT_EQ(frames.size(), 1u);
  Decoded<ConnectPacket> connect = DecodeConnect(frames[0].frame, frames[0].body);
  ASSERT_TRUE(connect.ok()) << connect.error.detail;
  EXPECT_EQ(connect.packet.version, GetParam());
  EXPECT_EQ(connect.packet.client_id, "bench-1");
  EXPECT_EQ(connect.packet.username, "user");
  EXPECT_EQ(connect.packet.keep_alive, 60);
  EXPECT_TRUE(connect.packet.clean_start);
}

TEST_P(ClientSessionTest, ConnackAndSubackDriveTheHandshake) {
  ClientSession session(Settings(GetParam(), 1));
  std::string broker, out;
  EncodeConnack(ConnackPacket{}, GetParam(), broker);
  EXPECT_EQ(Feed(session, broker, out).kind, SessionEventKind::kConnected);

  session.AppendSubscribe("a/+", out);
  std::vector<Parsed> frames = Frames(out);
  ASSERT_EQ(frames.size(), 1u);
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(frames[0].frame, frames[0].body, GetParam());
  ASSERT_TRUE(subscribe.ok());
  ASSERT_EQ(subscribe.packet.subscriptions.size(), 1u);
  EXPECT_EQ(subscribe.packet.subscriptions[0].filter, "a/+");
  EXPECT_EQ(subscribe.packet.subscriptions[0].options.max_qos, 1);
  EXPECT_EQ(FeedSuback(session, GetParam(), subscribe.packet.packet_id, ReasonCode::kGrantedQos1, out),
            SessionEventKind::kSubscribed);
}

TEST_P(ClientSessionTest, RefusedConnackAndSubackAreReported) {
  ClientSession session(Settings(GetParam(), 0));
  std::string broker, out;
  ConnackPacket connack;
  connack.reason = ReasonCode::kNotAuthorized;
  EncodeConnack(connack, GetParam(), broker);
  EXPECT_EQ(Feed(session, broker, out).kind, SessionEventKind::kRefused);
  EXPECT_EQ(FeedSuback(session, GetParam(), 1, ReasonCode::kUnspecifiedError, out), SessionEventKind::kRefused);
}

TEST_P(ClientSessionTest, Qos1PublishUsesTheInflightWindow) {
  ClientSession session(Settings(GetParam(), 1));
  std::string out;
  EXPECT_EQ(session.PublishRoom(), 2u);
  session.AppendPublish("t", "payload-1", out);
  session.AppendPublish("t", "payload-2", out);
  EXPECT_EQ(session.PublishRoom(), 0u);
  std::vector<Parsed> frames = Frames(out);
  ASSERT_EQ(frames.size(), 2u);
  Decoded<PublishPacket> first = DecodePublish(frames[0].frame, frames[0].body, GetParam());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.packet.qos, 1);
  EXPECT_EQ(first.packet.topic, "t");
  EXPECT_EQ(first.packet.payload, "payload-1");

  std::string broker, answer;
  EncodeAck(AckPacket{.type = PacketType::kPuback, .packet_id = first.packet.packet_id}, GetParam(), broker);
  SessionEvent event = Feed(session, broker, answer);
  EXPECT_EQ(event.kind, SessionEventKind::kPublishCompleted);
  EXPECT_FALSE(event.failed);
  EXPECT_TRUE(answer.empty());
  EXPECT_EQ(session.PublishRoom(), 1u);
}

TEST_P(ClientSessionTest, Qos2PublishAnswersPubrecWithPubrel) {
  ClientSession session(Settings(GetParam(), 2));
  std::string out;
  session.AppendPublish("t", "x", out);
  Decoded<PublishPacket> publish = DecodePublish(Frames(out)[0].frame, Frames(out)[0].body, GetParam());
  ASSERT_TRUE(publish.ok());

  std::string broker, answer;
  EncodeAck(AckPacket{.type = PacketType::kPubrec, .packet_id = publish.packet.packet_id}, GetParam(), broker);
  EXPECT_EQ(Feed(session, broker, answer).kind, SessionEventKind::kNone);
  std::vector<Parsed> frames = Frames(answer);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].frame.type, PacketType::kPubrel);
  EXPECT_EQ(session.inflight(), 1u);

  broker.clear();
  answer.clear();
  EncodeAck(AckPacket{.type = PacketType::kPubcomp, .packet_id = publish.packet.packet_id}, GetParam(), broker);
  EXPECT_EQ(Feed(session, broker, answer).kind, SessionEventKind::kPublishCompleted);
  EXPECT_EQ(session.inflight(), 0u);
}

TEST_P(ClientSessionTest, IncomingPublishIsDeliveredAndAcknowledged) {
  for (uint8_t qos : {0, 1, 2}) {
    ClientSession session(Settings(GetParam(), qos));
    PublishPacket publish;
    publish.qos = qos;
    publish.topic = "t";
    publish.packet_id = qos > 0 ? 7 : 0;
    publish.payload = "stamp";
    std::string broker, answer;
    EncodePublish(publish, GetParam(), broker);
    SessionEvent event = Feed(session, broker, answer);
    EXPECT_EQ(event.kind, SessionEventKind::kMessage);
    EXPECT_EQ(event.payload, "stamp");
    std::vector<Parsed> frames = Frames(answer);
    if (qos == 0) {
      EXPECT_TRUE(frames.empty());
      continue;
    }
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].frame.type, qos == 1 ? PacketType::kPuback : PacketType::kPubrec);
    if (qos == 2) {
      broker.clear();
      answer.clear();
      EncodeAck(AckPacket{.type = PacketType::kPubrel, .packet_id = 7}, GetParam(), broker);
      EXPECT_EQ(Feed(session, broker, answer).kind, SessionEventKind::kNone);
      ASSERT_EQ(Frames(answer).size(), 1u);
      EXPECT_EQ(Frames(answer)[0].frame.type, PacketType::kPubcomp);
    }
  }
}

TEST_P(ClientSessionTest, AckWithoutPublishIsAProtocolError) {
  ClientSession session(Settings(GetParam(), 1));
  std::string broker, answer;
  EncodeAck(AckPacket{.type = PacketType::kPuback, .packet_id = 3}, GetParam(), broker);
  EXPECT_EQ(Feed(session, broker, answer).kind, SessionEventKind::kProtocolError);
}

TEST_P(ClientSessionTest, QosZeroHasUnlimitedRoom) {
  ClientSession session(Settings(GetParam(), 0));
  std::string out;
  session.AppendPublish("t", "x", out);
  EXPECT_EQ(session.PublishRoom(), UINT32_MAX);
  EXPECT_EQ(session.inflight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientSessionTest,
                         ::testing::Values(ProtocolVersion::kV311, ProtocolVersion::kV5));

TEST(ClientSessionV5Test, BrokerReceiveMaximumCapsTheWindow) {
  ClientSession session(Settings(ProtocolVersion::kV5, 1));
  ConnackPacket connack;
  connack.properties.receive_maximum = 1;
  std::string broker, out;
  EncodeConnack(connack, ProtocolVersion::kV5, broker);
  EXPECT_EQ(Feed(session, broker, out).kind, SessionEventKind::kConnected);
  EXPECT_EQ(session.PublishRoom(), 1u);
}

TEST(ClientSessionV5Test, FailedPubackIsReported) {
  ClientSession session(Settings(ProtocolVersion::kV5, 1));
  std::string out;
  session.AppendPublish("t", "x", out);
  std::string broker, answer;
  EncodeAck(AckPacket{.type = PacketType::kPuback, .packet_id = 1, .reason = ReasonCode::kNotAuthorized},
            ProtocolVersion::kV5, broker);
  SessionEvent event = Feed(session, broker, answer);
  EXPECT_EQ(event.kind, SessionEventKind::kPublishCompleted);
  EXPECT_TRUE(event.failed);
}

TEST(ClientSessionV5Test, DisconnectFromTheBrokerIsReported) {
  ClientSession session(Settings(ProtocolVersion::kV5, 0));
  std::string broker, out;
  EncodeDisconnect(DisconnectPacket{.reason = ReasonCode::kServerShuttingDown}, ProtocolVersion::kV5, broker);
  SessionEvent event = Feed(session, broker, out);
  EXPECT_EQ(event.kind, SessionEventKind::kRefused);
  EXPECT_FALSE(event.detail.empty());
}

}  // namespace
}  // namespace ringmq::bench
