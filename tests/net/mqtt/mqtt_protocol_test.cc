// MqttProtocol without sockets: MQTT bytes in through ConsumeInput, the broker's bytes read from the
// connections' output, with a ConnectionIo kept in memory. One shard, so every client id is at home
// and no CONNECT is handed over. Packets are written out byte by byte, as in the MQTT specifications.
#include "net/mqtt/mqtt_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "net/access_policy.h"
#include "net/broker_config.h"
#include "net/mqtt/authorizer.h"
#include "net/mqtt/connection_io.h"
#include "tests/net/mqtt/memory_connection_io.h"
#include "net/shard_mesh.h"
#include "net/shard_stats.h"

namespace ringmq {
namespace {


// An Authorizer plugged in instead of the ACL file: topics and filters under "secret/" are refused.
class NoSecrets : public Authorizer {
 public:
  bool MayPublish(const Session&, std::string_view topic) override { return !topic.starts_with("secret/"); }
  SubscribeVerdict ClassifySubscription(const Session&, std::string_view filter) override {
    if (filter.starts_with("secret/")) return SubscribeVerdict::kDenied;
    return filter == "#" ? SubscribeVerdict::kCheckEachMessage : SubscribeVerdict::kGranted;
  }
  bool MayReceive(const Session&, std::string_view topic) override { return !topic.starts_with("secret/"); }
};

class MqttProtocolTest : public ::testing::Test {
 protected:
  MqttProtocolTest() {
    config_.shards = 1;
    shared_.access_policies = &policies_;
    MakeProtocol(nullptr);
  }
  void MakeProtocol(Authorizer* authorizer) {
    protocol_ = std::make_unique<MqttProtocol>(0, config_, mesh_, shared_, stats_, io_, authorizer);
    io_.set_protocol(protocol_.get());
    protocol_->BeginTurn(1000);
  }

  void Send(Connection* conn, const Bytes& bytes) { protocol_->ConsumeInput(conn, bytes); }
  // A connected MQTT 3.1.1 client subscribed to "t/#" at QoS 1, its CONNACK and SUBACK read.
  Connection* SubscribedToT(char id);
  // A loop turn ends: retained deliveries go on, envelopes are published (to this shard too).
  void EndTurn() {
    protocol_->FinishTurn();
    protocol_->PublishQueuedEnvelopes();
    protocol_->DrainInbox();
    protocol_->FinishTurn();
  }

  BrokerConfig config_;
  AccessPolicyStore policies_{std::make_shared<const AccessPolicy>()};
  BrokerShared shared_;
  ShardMesh mesh_{1, 1024};
  std::vector<ShardStats> stats_ = std::vector<ShardStats>(1);
  MemoryConnectionIo io_;
  std::unique_ptr<MqttProtocol> protocol_;
};

// MQTT 3.1.1 CONNECT, keep-alive 60 s, client id `id` (one byte), clean session as given.
Bytes Connect311(char id, bool clean = true) {
  return {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, static_cast<uint8_t>(clean ? 0x02 : 0x00),
          0x00, 0x3C, 0x00, 0x01, static_cast<uint8_t>(id)};
}
// MQTT 5 CONNECT, clean start, no properties, client id `id`.
Bytes Connect5(char id) {
  return {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x01,
          static_cast<uint8_t>(id)};
}
const Bytes kConnackAccepted = {0x20, 0x02, 0x00, 0x00};
const Bytes kConnackSessionPresent = {0x20, 0x02, 0x01, 0x00};
// SUBSCRIBE packet id 1 to "t/#" at QoS 1, and its SUBACK granting QoS 1.
const Bytes kSubscribeQos1 = {0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 't', '/', '#', 0x01};
const Bytes kSubackQos1 = {0x90, 0x03, 0x00, 0x01, 0x01};
// PUBLISH QoS 1 "t/x", packet id 7, payload "hi".
const Bytes kPublishQos1 = {0x32, 0x09, 0x00, 0x03, 't', '/', 'x', 0x00, 0x07, 'h', 'i'};

// MQTT 3.1.1 CONNECT of client "w" with a will: topic "t/w", message "gone", QoS 0.
const Bytes kConnectWithWill = {0x10, 0x18, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x06, 0x00, 0x3C, 0x00, 0x01,
                                'w', 0x00, 0x03, 't', '/', 'w', 0x00, 0x04, 'g', 'o', 'n', 'e'};

Connection* MqttProtocolTest::SubscribedToT(char id) {
  Connection* conn = io_.Open();
  Send(conn, Connect311(id));
  Send(conn, kSubscribeQos1);
  EndTurn();
  Bytes expected = kConnackAccepted;
  expected.insert(expected.end(), kSubackQos1.begin(), kSubackQos1.end());
  EXPECT_EQ(io_.TakeOutput(conn), expected);
  return conn;
}

TEST_F(MqttProtocolTest, ConnectIsAnsweredWithConnack) {
  Connection* conn = io_.Open();
  Send(conn, Connect311('a'));
  EXPECT_EQ(io_.TakeOutput(conn), kConnackAccepted);
  EXPECT_EQ(conn->state, Connection::State::kConnected);
  ASSERT_NE(conn->session, nullptr);
  EXPECT_EQ(conn->session->client_id(), "a");
}

TEST_F(MqttProtocolTest, PacketTrickledByteByByteIsHandledOnce) {
  Connection* conn = io_.Open();
  const Bytes connect = Connect311('a');
  for (uint8_t byte : connect) {
    EXPECT_TRUE(io_.TakeOutput(conn).empty());
    Send(conn, Bytes{byte});
  }
  EXPECT_EQ(io_.TakeOutput(conn), kConnackAccepted);
}

TEST_F(MqttProtocolTest, SeveralPacketsInOneReadAreAllHandled) {
  Connection* conn = io_.Open();
  Bytes both = Connect311('a');
  both.insert(both.end(), {0xC0, 0x00});  // PINGREQ
  Send(conn, both);
  EXPECT_EQ(io_.TakeOutput(conn), (Bytes{0x20, 0x02, 0x00, 0x00, 0xD0, 0x00}));
}

TEST_F(MqttProtocolTest, FirstPacketOtherThanConnectClosesWithoutAnswer) {
  Connection* conn = io_.Open();
  Send(conn, {0xC0, 0x00});
  EXPECT_TRUE(io_.closed(conn));
  EXPECT_TRUE(io_.TakeOutput(conn).empty());
  EXPECT_EQ(io_.close_reason(conn), "first packet is not CONNECT");
}

TEST_F(MqttProtocolTest, QoS1PublishReachesSubscriberAndIsAcknowledged) {
  Connection* subscriber = io_.Open();
  Send(subscriber, Connect311('s'));
  Send(subscriber, kSubscribeQos1);
  EndTurn();
  Bytes expected = kConnackAccepted;
  expected.insert(expected.end(), kSubackQos1.begin(), kSubackQos1.end());
  EXPECT_EQ(io_.TakeOutput(subscriber), expected);

  Connection* publisher = io_.Open();
  Send(publisher, Connect311('p'));
  Send(publisher, kPublishQos1);
  EndTurn();
  expected = kConnackAccepted;
  expected.insert(expected.end(), {0x40, 0x02, 0x00, 0x07});  // PUBACK 7
  EXPECT_EQ(io_.TakeOutput(publisher), expected);
  // The subscriber's own packet id (its first), the same topic and payload.
  EXPECT_EQ(io_.TakeOutput(subscriber), (Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'x', 0x00, 0x01, 'h', 'i'}));
}

TEST_F(MqttProtocolTest, PersistentSessionKeepsQueuedMessagesWhileOffline) {
  Connection* first = io_.Open();
  Send(first, Connect311('s', /*clean=*/false));
  Send(first, kSubscribeQos1);
  EndTurn();
  io_.TakeOutput(first);
  io_.PeerLost(first);

  Connection* publisher = io_.Open();
  Send(publisher, Connect311('p'));
  Send(publisher, kPublishQos1);
  EndTurn();

  Connection* again = io_.Open();
  Send(again, Connect311('s', /*clean=*/false));
  EndTurn();
  Bytes expected = kConnackSessionPresent;
  expected.insert(expected.end(), {0x32, 0x09, 0x00, 0x03, 't', '/', 'x', 0x00, 0x01, 'h', 'i'});
  EXPECT_EQ(io_.TakeOutput(again), expected);
}

TEST_F(MqttProtocolTest, SecondConnectionWithTheSameClientIdTakesTheSessionOver) {
  Connection* first = io_.Open();
  Send(first, Connect5('a'));
  io_.TakeOutput(first);
  Connection* second = io_.Open();
  Send(second, Connect5('a'));
  EXPECT_TRUE(io_.closed(first));
  // MQTT 5: the old connection is told why (DISCONNECT 0x8E, Session taken over).
  const Bytes old_output = io_.TakeOutput(first);
  ASSERT_GE(old_output.size(), 3u);
  EXPECT_EQ(old_output[0], 0xE0);
  EXPECT_EQ(old_output[2], 0x8E);
  EXPECT_FALSE(io_.closed(second));
  EXPECT_EQ(second->session->client_id(), "a");
}

TEST_F(MqttProtocolTest, MalformedPacketClosesOnlyItsConnectionWithReasonCode) {
  Connection* bystander = io_.Open();
  Send(bystander, Connect311('b'));
  Connection* conn = io_.Open();
  Send(conn, Connect5('m'));
  io_.TakeOutput(conn);
  Send(conn, {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01});  // PUBLISH with QoS 3
  EXPECT_TRUE(io_.closed(conn));
  const Bytes output = io_.TakeOutput(conn);
  ASSERT_GE(output.size(), 3u);
  EXPECT_EQ(output[0], 0xE0);  // DISCONNECT
  EXPECT_EQ(output[2], 0x81);  // Malformed Packet
  EXPECT_FALSE(io_.closed(bystander));
  Send(bystander, {0xC0, 0x00});
  Bytes expected = kConnackAccepted;
  expected.insert(expected.end(), {0xD0, 0x00});
  EXPECT_EQ(io_.TakeOutput(bystander), expected);
}

TEST_F(MqttProtocolTest, PacketLargerThanTheLimitIsRefused) {
  config_.max_packet_size = 64;
  Connection* conn = io_.Open();
  Send(conn, Connect5('a'));
  io_.TakeOutput(conn);
  Bytes publish = {0x30, 0x7F, 0x00, 0x01, 't'};
  publish.resize(2 + 0x7F, 'x');
  Send(conn, publish);
  EXPECT_TRUE(io_.closed(conn));
  const Bytes output = io_.TakeOutput(conn);
  ASSERT_GE(output.size(), 3u);
  EXPECT_EQ(output[2], 0x95);  // Packet Too Large
}

TEST_F(MqttProtocolTest, WillIsPublishedWhenTheConnectionIsLost) {
  Connection* subscriber = SubscribedToT('s');
  Connection* conn = io_.Open();
  Send(conn, kConnectWithWill);
  EXPECT_EQ(io_.TakeOutput(conn), kConnackAccepted);
  io_.PeerLost(conn);
  EndTurn();
  EXPECT_EQ(io_.TakeOutput(subscriber), (Bytes{0x30, 0x09, 0x00, 0x03, 't', '/', 'w', 'g', 'o', 'n', 'e'}));
}

TEST_F(MqttProtocolTest, DisconnectCancelsTheWill) {
  Connection* subscriber = SubscribedToT('s');
  Connection* conn = io_.Open();
  Send(conn, kConnectWithWill);
  Send(conn, {0xE0, 0x00});
  EXPECT_TRUE(io_.closed(conn));
  EndTurn();
  EXPECT_TRUE(io_.TakeOutput(subscriber).empty());
}

TEST_F(MqttProtocolTest, PluggedInAuthorizerRefusesPublishAndSubscribe) {
  NoSecrets authorizer;
  MakeProtocol(&authorizer);
  Connection* conn = io_.Open();
  Send(conn, Connect5('a'));
  io_.TakeOutput(conn);
  // SUBSCRIBE id 2: "secret/#" QoS 0 and "#" QoS 0 (no subscription options set).
  Send(conn, {0x82, 0x12, 0x00, 0x02, 0x00, 0x00, 0x08, 's', 'e', 'c', 'r', 'e', 't', '/', '#', 0x00, 0x00,
              0x01, '#', 0x00});
  EndTurn();
  // SUBACK id 2, no properties: 0x87 Not authorized, then QoS 0 granted.
  EXPECT_EQ(io_.TakeOutput(conn), (Bytes{0x90, 0x05, 0x00, 0x02, 0x00, 0x87, 0x00}));
  // PUBLISH QoS 1 id 9 to "secret/x": PUBACK 0x87, and "#" does not deliver it back.
  Send(conn, {0x32, 0x0E, 0x00, 0x08, 's', 'e', 'c', 'r', 'e', 't', '/', 'x', 0x00, 0x09, 0x00, 'h'});
  EndTurn();
  const Bytes output = io_.TakeOutput(conn);
  ASSERT_GE(output.size(), 5u);
  EXPECT_EQ(output[0], 0x40);  // PUBACK
  EXPECT_EQ(output[2], 0x00);
  EXPECT_EQ(output[3], 0x09);
  EXPECT_EQ(output[4], 0x87);
  EXPECT_EQ(output.size(), 2u + output[1]);  // and nothing after it
}

}  // namespace
}  // namespace ringmq
