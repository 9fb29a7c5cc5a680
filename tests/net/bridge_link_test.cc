// BridgeLink byte for byte, without sockets: what it sends the remote and the shard at each step, and
// how it relays PUBLISH and acknowledgements between the two with the topics remapped.
#include "net/bridge/bridge_link.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/decoder.h"
#include "core/encoder.h"

namespace ringmq {
namespace {

struct Packet {
  Frame frame;
  std::string body;
};

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::vector<Packet> Packets(std::string_view bytes) {
  std::vector<Packet> packets;
  while (!bytes.empty()) {
    const FrameResult result = ParseFrame(Bytes(bytes), 1 << 20);
    EXPECT_EQ(result.status, FrameStatus::kOk);
    if (result.status != FrameStatus::kOk) break;
    packets.push_back({result.frame, std::string(bytes.substr(result.frame.header_size, result.frame.remaining_length))});
    bytes.remove_prefix(result.frame.total_size());
  }
  return packets;
}

class RecordingObserver : public BridgeLinkObserver {
 public:
  void OnLinkUp(bool session_present, uint16_t keepalive_s) override {
    ups.push_back(session_present);
    keepalives.push_back(keepalive_s);
  }
  std::vector<uint16_t> keepalives;
  void OnLinkGone(const std::string& why) override { gone.push_back(why); }
  std::vector<bool> ups;
  std::vector<std::string> gone;
};

BridgeConfig Config(bool mqtt5) {
  BridgeConfig config;
  config.name = "t";
  config.host = "remote";
  config.mqtt5 = mqtt5;
  config.remote_client_id = "edge";
  config.local_client_id = "$bridge/t";
  config.username = "user";
  config.password = "pw";
  config.keepalive_s = 30;
  config.topics = {{"s/#", BridgeDirection::kOut, 1, "l/", "r/"}, {"c/#", BridgeDirection::kIn, 1, "in/", ""}};
  return config;
}

class BridgeLinkTest : public ::testing::Test {
 protected:
  explicit BridgeLinkTest(bool mqtt5 = false)
      : config_(Config(mqtt5)), topics_(config_.topics), stats_("t"),
        link_(std::make_unique<BridgeLink>(config_, topics_, stats_, nullptr, &observer_)) {}

  ProtocolVersion Remote() const { return config_.mqtt5 ? ProtocolVersion::kV5 : ProtocolVersion::kV311; }

  absl::Status FromRemote(const std::string& bytes) {
    up_.clear();
    down_.clear();
    return link_->Receive(Bytes(bytes), TransformSinks{up_, down_});
  }

  // Start, CONNACK, SUBACK: the link is open.
  void Open(ConnackPacket connack = {}) {
    ASSERT_TRUE(link_->Start(down_).ok());
    std::string bytes;
    EncodeConnack(connack, Remote(), bytes);
    ASSERT_TRUE(FromRemote(bytes).ok());
    bytes.clear();
    EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kGrantedQos1}}, Remote(), bytes);
    ASSERT_TRUE(FromRemote(bytes).ok());
    ASSERT_TRUE(link_->established());
  }

  BridgeConfig config_;
  BridgeTopicMap topics_;
  BridgeStats stats_;
  RecordingObserver observer_;
  std::unique_ptr<BridgeLink> link_;
  std::string up_;
  std::string down_;
};

TEST_F(BridgeLinkTest, ConnectsWithMosquittosBridgeBitThenSubscribesTheInPatterns) {
  ASSERT_TRUE(link_->Start(down_).ok());
  std::vector<Packet> sent = Packets(down_);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].frame.type, PacketType::kConnect);
  EXPECT_EQ(static_cast<uint8_t>(sent[0].body[6]), 0x84);  // after "\0\4MQTT": level 4 | bridge bit
  sent[0].body[6] = 4;
  Decoded<ConnectPacket> connect = DecodeConnect(sent[0].frame, Bytes(sent[0].body));
  ASSERT_TRUE(connect.ok()) << connect.error.detail;
  EXPECT_EQ(connect.packet.client_id, "edge");
  EXPECT_EQ(connect.packet.username, "user");
  EXPECT_EQ(connect.packet.password, "pw");
  EXPECT_FALSE(connect.packet.clean_start);
  EXPECT_EQ(connect.packet.keep_alive, 30);
  EXPECT_FALSE(link_->established());

  std::string connack;
  EncodeConnack(ConnackPacket{true}, ProtocolVersion::kV311, connack);
  ASSERT_TRUE(FromRemote(connack).ok());
  EXPECT_EQ(observer_.ups, std::vector<bool>{true});
  EXPECT_EQ(observer_.keepalives, std::vector<uint16_t>{30});
  EXPECT_TRUE(up_.empty());  // the local session waits for the SUBACK: packet ids cannot collide
  sent = Packets(down_);
  ASSERT_EQ(sent.size(), 1u);
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV311);
  ASSERT_TRUE(subscribe.ok());
  ASSERT_EQ(subscribe.packet.subscriptions.size(), 1u);
  EXPECT_EQ(subscribe.packet.subscriptions[0].filter, "c/#");
  EXPECT_EQ(subscribe.packet.subscriptions[0].options.max_qos, 1);
}

TEST_F(BridgeLinkTest, OpensTheLocalSessionWithNoLocalOutSubscriptions) {
  ASSERT_TRUE(link_->Start(down_).ok());
  std::string bytes;
  EncodeConnack(ConnackPacket{}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  bytes.clear();
  EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kGrantedQos1}}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  EXPECT_TRUE(link_->established());
  std::vector<Packet> local = Packets(up_);
  ASSERT_EQ(local.size(), 2u);
  Decoded<ConnectPacket> connect = DecodeConnect(local[0].frame, Bytes(local[0].body));
  ASSERT_TRUE(connect.ok());
  EXPECT_EQ(connect.packet.version, ProtocolVersion::kV5);
  EXPECT_EQ(connect.packet.client_id, "$bridge/t");
  EXPECT_FALSE(connect.packet.clean_start);
  EXPECT_EQ(connect.packet.properties.session_expiry_interval, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(connect.packet.properties.receive_maximum, 20);  // max_inflight: 3.1.1 says no limit of its own
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(local[1].frame, Bytes(local[1].body), ProtocolVersion::kV5);
  ASSERT_TRUE(subscribe.ok());
  ASSERT_EQ(subscribe.packet.subscriptions.size(), 1u);
  const TopicSubscription& sub = subscribe.packet.subscriptions[0];
  EXPECT_EQ(sub.filter, "l/s/#");
  EXPECT_TRUE(sub.options.no_local);
  EXPECT_TRUE(sub.options.retain_as_published);
  EXPECT_EQ(sub.options.retain_handling, 1);
}

// A bridge changed by SIGHUP from `s/#` to `t/#` resumes its local session: the old local filter is
// unsubscribed before the new one is subscribed, and a message the session queued under the old one
// still reaches the remote by the old mapping instead of failing the link.
TEST_F(BridgeLinkTest, AChangedBridgeDropsItsOldLocalFiltersAndRelaysWhatTheyQueued) {
  BridgeConfig changed = config_;
  changed.topics[0] = {"t/#", BridgeDirection::kOut, 1, "l/", "r2/"};
  const BridgeTopicMap changed_topics(changed.topics);
  BridgeLink link(changed, changed_topics, stats_, nullptr, &observer_, &topics_);
  std::string down;
  ASSERT_TRUE(link.Start(down).ok());
  std::string bytes;
  EncodeConnack(ConnackPacket{}, ProtocolVersion::kV311, bytes);
  std::string up;
  ASSERT_TRUE(link.Receive(Bytes(bytes), TransformSinks{up, down}).ok());
  bytes.clear();
  EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kGrantedQos1}}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(link.Receive(Bytes(bytes), TransformSinks{up, down}).ok());
  std::vector<Packet> local = Packets(up);
  ASSERT_EQ(local.size(), 3u);  // CONNECT, UNSUBSCRIBE, SUBSCRIBE
  Decoded<UnsubscribePacket> unsubscribe = DecodeUnsubscribe(local[1].frame, Bytes(local[1].body), ProtocolVersion::kV5);
  ASSERT_TRUE(unsubscribe.ok());
  EXPECT_EQ(unsubscribe.packet.filters, std::vector<std::string_view>{"l/s/#"});
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(local[2].frame, Bytes(local[2].body), ProtocolVersion::kV5);
  ASSERT_TRUE(subscribe.ok());
  ASSERT_EQ(subscribe.packet.subscriptions.size(), 1u);
  EXPECT_EQ(subscribe.packet.subscriptions[0].filter, "l/t/#");

  for (const auto& [local_topic, remote_topic] : {std::pair{"l/s/old", "r/s/old"}, std::pair{"l/t/new", "r2/t/new"}}) {
    bytes.clear();
    EncodePublish(PublishPacket{.qos = 1, .topic = local_topic, .packet_id = 5, .payload = "x"}, ProtocolVersion::kV5, bytes);
    down.clear();
    ASSERT_TRUE(link.Send(Bytes(bytes), down).ok()) << local_topic;
    std::vector<Packet> sent = Packets(down);
    ASSERT_EQ(sent.size(), 1u);
    Decoded<PublishPacket> remote = DecodeServerPublish(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV311);
    ASSERT_TRUE(remote.ok());
    EXPECT_EQ(remote.packet.topic, remote_topic);
  }
  link.DetachObserver();
}

TEST_F(BridgeLinkTest, RelaysBothFlowsWithTopicsRemapped) {
  Open();
  // A local delivery goes to the remote under its remote topic, with the shard's packet id.
  PublishPacket local{.qos = 1, .topic = "l/s/x", .packet_id = 7, .payload = "hi"};
  local.properties.subscription_identifiers = {3};
  local.properties.message_expiry_interval = 60;
  std::string bytes;
  EncodePublish(local, ProtocolVersion::kV5, bytes);
  down_.clear();
  for (char c : bytes) ASSERT_TRUE(link_->Send(Bytes(std::string_view(&c, 1)), down_).ok());  // in pieces
  std::vector<Packet> sent = Packets(down_);
  ASSERT_EQ(sent.size(), 1u);
  Decoded<PublishPacket> remote = DecodeServerPublish(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV311);
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote.packet.topic, "r/s/x");
  EXPECT_EQ(remote.packet.packet_id, 7);
  EXPECT_EQ(remote.packet.payload, "hi");
  EXPECT_EQ(stats_.messages_out.load(), 1u);

  // The remote's PUBACK reaches the shard as the MQTT 5 PUBACK of that id.
  bytes.clear();
  EncodeAck(AckPacket{PacketType::kPuback, 7}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  std::vector<Packet> local_acks = Packets(up_);
  ASSERT_EQ(local_acks.size(), 1u);
  EXPECT_EQ(local_acks[0].frame.type, PacketType::kPuback);
  EXPECT_EQ(DecodeAck(local_acks[0].frame, Bytes(local_acks[0].body), ProtocolVersion::kV5).packet.packet_id, 7);

  // A remote PUBLISH is published locally under its local topic.
  bytes.clear();
  EncodePublish(PublishPacket{.qos = 1, .retain = true, .topic = "c/door", .packet_id = 9, .payload = "open"},
                ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  std::vector<Packet> published = Packets(up_);
  ASSERT_EQ(published.size(), 1u);
  Decoded<PublishPacket> in = DecodePublish(published[0].frame, Bytes(published[0].body), ProtocolVersion::kV5);
  ASSERT_TRUE(in.ok()) << in.error.detail;
  EXPECT_EQ(in.packet.topic, "in/c/door");
  EXPECT_EQ(in.packet.packet_id, 9);
  EXPECT_TRUE(in.packet.retain);
  EXPECT_EQ(in.packet.payload, "open");
  EXPECT_EQ(stats_.messages_in.load(), 1u);

  // The shard's PUBACK goes back to the remote in 3.1.1 form.
  bytes.clear();
  EncodeAck(AckPacket{PacketType::kPuback, 9}, ProtocolVersion::kV5, bytes);
  down_.clear();
  ASSERT_TRUE(link_->Send(Bytes(bytes), down_).ok());
  std::string expected;
  EncodeAck(AckPacket{PacketType::kPuback, 9}, ProtocolVersion::kV311, expected);
  EXPECT_EQ(down_, expected);
}

TEST_F(BridgeLinkTest, ARemoteTopicNoInLineCoversIsAcknowledgedAndDropped) {
  Open();
  std::string bytes;
  EncodePublish(PublishPacket{.qos = 1, .topic = "other", .packet_id = 4, .payload = "x"}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  EXPECT_TRUE(up_.empty());
  std::string expected;
  EncodeAck(AckPacket{PacketType::kPuback, 4}, ProtocolVersion::kV311, expected);
  EXPECT_EQ(down_, expected);
}

TEST_F(BridgeLinkTest, WhatAResumedRemoteSessionSendsBeforeTheSubackWaitsForTheLocalSession) {
  ASSERT_TRUE(link_->Start(down_).ok());
  std::string bytes;
  EncodeConnack(ConnackPacket{true}, ProtocolVersion::kV311, bytes);
  EncodePublish(PublishPacket{.qos = 1, .topic = "c/kept", .packet_id = 3, .payload = "k"}, ProtocolVersion::kV311,
                bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  EXPECT_TRUE(up_.empty());
  bytes.clear();
  EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kGrantedQos1}}, ProtocolVersion::kV311, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  std::vector<Packet> local = Packets(up_);
  ASSERT_EQ(local.size(), 3u);  // CONNECT, SUBSCRIBE, then the kept PUBLISH
  EXPECT_EQ(local[0].frame.type, PacketType::kConnect);
  EXPECT_EQ(local[1].frame.type, PacketType::kSubscribe);
  Decoded<PublishPacket> kept = DecodePublish(local[2].frame, Bytes(local[2].body), ProtocolVersion::kV5);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.packet.topic, "in/c/kept");
  EXPECT_EQ(kept.packet.packet_id, 3);
}

TEST_F(BridgeLinkTest, AnUnansweredPingEndsTheLink) {
  Open();
  down_.clear();
  ASSERT_TRUE(link_->Ping(down_).ok());
  std::string pingreq;
  EncodePingreq(pingreq);
  EXPECT_EQ(down_, pingreq);
  std::string pingresp;
  EncodePingresp(pingresp);
  ASSERT_TRUE(FromRemote(pingresp).ok());
  ASSERT_TRUE(link_->Ping(down_).ok());  // answered: another may go
  const absl::Status unanswered = link_->Ping(down_);
  EXPECT_FALSE(unanswered.ok());
  link_.reset();
  EXPECT_EQ(observer_.gone, std::vector<std::string>{"no PINGRESP within the keepalive interval"});
}

TEST_F(BridgeLinkTest, ARefusedConnectSaysWhy) {
  ASSERT_TRUE(link_->Start(down_).ok());
  std::string connack;
  EncodeConnack(ConnackPacket{false, ReasonCode::kBadUserNameOrPassword}, ProtocolVersion::kV311, connack);
  const absl::Status status = FromRemote(connack);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(observer_.ups.empty());
  link_.reset();
  ASSERT_EQ(observer_.gone.size(), 1u);
  EXPECT_NE(observer_.gone[0].find("remote refused the CONNECT"), std::string::npos) << observer_.gone[0];
}

class BridgeLinkV5Test : public BridgeLinkTest {
 protected:
  BridgeLinkV5Test() : BridgeLinkTest(true) {}
};

TEST_F(BridgeLinkV5Test, TakesTheRemotesLimitsAndAsksForNoLocal) {
  ASSERT_TRUE(link_->Start(down_).ok());
  std::vector<Packet> sent = Packets(down_);
  Decoded<ConnectPacket> connect = DecodeConnect(sent[0].frame, Bytes(sent[0].body));
  ASSERT_TRUE(connect.ok());
  EXPECT_EQ(connect.packet.version, ProtocolVersion::kV5);
  EXPECT_EQ(connect.packet.properties.session_expiry_interval, std::numeric_limits<uint32_t>::max());
  ConnackPacket connack;
  connack.properties.server_keep_alive = 12;
  connack.properties.receive_maximum = 7;
  connack.properties.maximum_packet_size = 4096;
  std::string bytes;
  EncodeConnack(connack, ProtocolVersion::kV5, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  EXPECT_EQ(observer_.keepalives, std::vector<uint16_t>{12});  // the remote's Server Keep Alive wins
  sent = Packets(down_);
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV5);
  ASSERT_TRUE(subscribe.ok());
  EXPECT_TRUE(subscribe.packet.subscriptions[0].options.no_local);
  EXPECT_TRUE(subscribe.packet.subscriptions[0].options.retain_as_published);
  bytes.clear();
  EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kGrantedQos1}}, ProtocolVersion::kV5, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  std::vector<Packet> local = Packets(up_);
  Decoded<ConnectPacket> local_connect = DecodeConnect(local[0].frame, Bytes(local[0].body));
  ASSERT_TRUE(local_connect.ok());
  EXPECT_EQ(local_connect.packet.properties.receive_maximum, 7);
  EXPECT_EQ(local_connect.packet.properties.maximum_packet_size, 4096u);
}

TEST_F(BridgeLinkV5Test, AsksTheShardForNoMoreThanTheRemoteTakes) {
  ASSERT_TRUE(link_->Start(down_).ok());
  ConnackPacket connack;
  connack.properties.maximum_qos = 0;
  connack.properties.retain_available = 0;
  std::string bytes;
  EncodeConnack(connack, ProtocolVersion::kV5, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  bytes.clear();
  EncodeSuback(SubackPacket{PacketType::kSuback, 1, {}, {ReasonCode::kSuccess}}, ProtocolVersion::kV5, bytes);
  ASSERT_TRUE(FromRemote(bytes).ok());
  std::vector<Packet> local = Packets(up_);
  ASSERT_EQ(local.size(), 2u);
  Decoded<SubscribePacket> subscribe = DecodeSubscribe(local[1].frame, Bytes(local[1].body), ProtocolVersion::kV5);
  ASSERT_TRUE(subscribe.ok());
  EXPECT_EQ(subscribe.packet.subscriptions[0].options.max_qos, 0);  // the `out` line says 1
  bytes.clear();
  EncodePublish(PublishPacket{.retain = true, .topic = "l/s/r", .payload = "x"}, ProtocolVersion::kV5, bytes);
  down_.clear();
  ASSERT_TRUE(link_->Send(Bytes(bytes), down_).ok());
  std::vector<Packet> sent = Packets(down_);
  Decoded<PublishPacket> remote = DecodeServerPublish(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV5);
  ASSERT_TRUE(remote.ok());
  EXPECT_FALSE(remote.packet.retain);
}

TEST_F(BridgeLinkV5Test, KeepsMessagePropertiesButNotPerHopOnes) {
  Open();
  PublishPacket local{.qos = 0, .topic = "l/s/x", .payload = "hi"};
  local.properties.subscription_identifiers = {3};
  local.properties.content_type = "text/plain";
  std::string bytes;
  EncodePublish(local, ProtocolVersion::kV5, bytes);
  down_.clear();
  ASSERT_TRUE(link_->Send(Bytes(bytes), down_).ok());
  std::vector<Packet> sent = Packets(down_);
  Decoded<PublishPacket> remote = DecodeServerPublish(sent[0].frame, Bytes(sent[0].body), ProtocolVersion::kV5);
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote.packet.topic, "r/s/x");
  EXPECT_EQ(remote.packet.properties.content_type, "text/plain");
  EXPECT_TRUE(remote.packet.properties.subscription_identifiers.empty());
}

}  // namespace
}  // namespace ringmq
