#include "net/persistence/session_record.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

MessageRef Make(std::string_view topic, std::string_view payload, int64_t expiry_deadline_ms = 0) {
  MessageParams params;
  params.topic = topic;
  params.payload = payload;
  params.qos = 2;
  params.passthrough_properties = std::string_view("\x01\x01", 2);  // payload format indicator
  params.expiry_deadline_ms = expiry_deadline_ms;
  params.publisher_id = 42;
  return Message::Create(params);
}

TEST(SessionRecordTest, KeysHaveTheDocumentedBytes) {
  EXPECT_EQ(SessionRecordKey("dev1"), "sdev1");
  EXPECT_EQ(SubscriptionRecordKey("dev1", "g", "a/+"), std::string("udev1\0g\0a/+", 11));
  EXPECT_EQ(OutboundRecordKey("dev1", 0x010203040506), std::string("odev1\0\x01\x02\x03\x04\x05\x06", 12));
  EXPECT_EQ(InboundRecordKey("dev1", 0x1234), std::string("idev1\0\x12\x34", 8));
  for (const std::string& key : {SessionRecordKey("dev1"), SubscriptionRecordKey("dev1", "", "t"),
                                  OutboundRecordKey("dev1", 7), InboundRecordKey("dev1", 9)}) {
    EXPECT_TRUE(IsSessionRecordKey(key));
    EXPECT_EQ(ClientIdOfRecordKey(key), "dev1");
  }
  EXPECT_FALSE(IsSessionRecordKey("rfleet/topic"));  // a retained message's key
  EXPECT_FALSE(IsSessionRecordKey(std::string("unonul", 6)));
}

TEST(SessionRecordTest, SessionValueBytesWithoutWill) {
  Session session("dev1");
  session.set_expiry_interval(0x01020304);
  const std::string value = EncodeSessionValue(session, ProtocolVersion::kV5, 0x1122334455667788);
  EXPECT_EQ(value, std::string("\x01\x05\x04\x03\x02\x01\x88\x77\x66\x55\x44\x33\x22\x11\x00", 15));
  const std::optional<StoredSession> stored = DecodeSessionValue(value);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, ProtocolVersion::kV5);
  EXPECT_EQ(stored->expiry_interval, 0x01020304u);
  EXPECT_EQ(stored->offline_since_wall_ms, 0x1122334455667788);
  EXPECT_EQ(stored->will, nullptr);
}

TEST(SessionRecordTest, SessionWillRoundTrips) {
  Session session("dev1");
  session.set_expiry_interval(60);
  auto will = std::make_unique<WillMessage>();
  will->topic = "fleet/dev1/status";
  will->payload = "offline";
  will->qos = 1;
  will->retain = true;
  will->passthrough_properties = "\x01\x01";
  will->message_expiry_interval = 30;
  will->delay_interval = 5;
  session.will() = std::move(will);
  const std::optional<StoredSession> stored = DecodeSessionValue(EncodeSessionValue(session, ProtocolVersion::kV311, 0));
  ASSERT_TRUE(stored.has_value());
  ASSERT_NE(stored->will, nullptr);
  EXPECT_EQ(stored->will->topic, "fleet/dev1/status");
  EXPECT_EQ(stored->will->payload, "offline");
  EXPECT_EQ(stored->will->qos, 1);
  EXPECT_TRUE(stored->will->retain);
  EXPECT_EQ(stored->will->passthrough_properties, "\x01\x01");
  EXPECT_EQ(stored->will->message_expiry_interval, 30u);
  EXPECT_EQ(stored->will->delay_interval, 5u);
}

TEST(SessionRecordTest, SubscriptionValueBytesAndRoundTrip) {
  SessionSubscription sub;
  sub.filter = "fleet/+/cmd";
  sub.share_group = "workers";
  sub.options = SubscriptionOptions{2, true, true, 2};
  sub.subscription_id = 0x0a0b0c;
  const std::string value = EncodeSubscriptionValue(sub);
  EXPECT_EQ(value, std::string("\x01\x02\x0b\x0c\x0b\x0a\x00", 7));  // flags: no-local 1 | RAP 2 | handling 2 << 2
  const std::optional<SessionSubscription> back =
      DecodeSubscriptionRecord(SubscriptionRecordKey("dev1", sub.share_group, sub.filter), value);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->filter, "fleet/+/cmd");
  EXPECT_EQ(back->share_group, "workers");
  EXPECT_EQ(back->options, sub.options);
  EXPECT_EQ(back->subscription_id, 0x0a0b0cu);
}

TEST(SessionRecordTest, QueuedMessageRoundTripsWithExpiryCountingAcrossRestart) {
  const ClockPair saved{500'000, 1'700'000'000'000};
  Delivery delivery;
  delivery.message = Make("fleet/dev1/cmd", "reboot", saved.monotonic_ms + 60'000);
  delivery.qos = 1;
  delivery.retain = true;
  delivery.subscription_ids = {7, 9};
  delivery.share_group = std::make_shared<const std::string>("$share/g/fleet/+/cmd");
  const std::string value = EncodeOutboundValue(delivery, true, InflightMessage::State::kAwaitPuback, 0, saved);
  // Fixed part: version, state (queued), packet id, qos, retain, 2 ids, group, message qos/retain,
  // expiry, topic length, properties length; then the three strings.
  EXPECT_EQ(value.size(), 1 + 1 + 2 + 1 + 1 + 2 + 8 + 2 + 20 + 1 + 1 + 8 + 2 + 14 + 4 + 2 + 6);
  const ClockPair restarted{3'000, saved.wall_ms + 20'000};
  const std::optional<StoredOutbound> back = DecodeOutboundRecord(OutboundRecordKey("dev1", 77), value, restarted);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->queued);
  EXPECT_EQ(back->seq, 77u);
  EXPECT_EQ(back->delivery.store_seq(), 77u);
  EXPECT_EQ(back->delivery.qos, 1);
  EXPECT_TRUE(back->delivery.retain);
  EXPECT_EQ(back->delivery.subscription_ids, (std::vector<uint32_t>{7, 9}));
  ASSERT_NE(back->delivery.share_group, nullptr);
  EXPECT_EQ(*back->delivery.share_group, "$share/g/fleet/+/cmd");
  const Message& message = *back->delivery.message;
  EXPECT_EQ(message.topic(), "fleet/dev1/cmd");
  EXPECT_EQ(message.payload(), "reboot");
  EXPECT_EQ(message.qos(), 2);
  EXPECT_EQ(message.passthrough_properties(), std::string_view("\x01\x01", 2));
  EXPECT_EQ(message.expiry_deadline_ms(), restarted.monotonic_ms + 40'000);
  // Expired while the broker was down: it comes back already expired, to be dropped with its record.
  const ClockPair too_late{3'000, saved.wall_ms + 61'000};
  const std::optional<StoredOutbound> expired = DecodeOutboundRecord(OutboundRecordKey("dev1", 77), value, too_late);
  ASSERT_TRUE(expired.has_value());
  EXPECT_TRUE(expired->delivery.message->ExpiredAt(too_late.monotonic_ms));
}

TEST(SessionRecordTest, InflightStatesKeepTheirPacketIds) {
  const ClockPair now{0, 1'700'000'000'000};
  Delivery delivery;
  delivery.message = Make("t", "p");
  delivery.qos = 2;
  const std::string awaiting_pubrec = EncodeOutboundValue(delivery, false, InflightMessage::State::kAwaitPubrec, 513, now);
  EXPECT_EQ(awaiting_pubrec.substr(0, 4), std::string("\x01\x01\x01\x02", 4));
  const std::optional<StoredOutbound> back = DecodeOutboundRecord(OutboundRecordKey("c", 1), awaiting_pubrec, now);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->queued);
  EXPECT_EQ(back->state, InflightMessage::State::kAwaitPubrec);
  EXPECT_EQ(back->packet_id, 513);
  // After PUBREC only the id is kept: PUBREL is all that is sent again.
  const std::string awaiting_pubcomp = EncodeOutboundValue(delivery, false, InflightMessage::State::kAwaitPubcomp, 513, now);
  EXPECT_EQ(awaiting_pubcomp, std::string("\x01\x02\x01\x02", 4));
  const std::optional<StoredOutbound> released = DecodeOutboundRecord(OutboundRecordKey("c", 2), awaiting_pubcomp, now);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->state, InflightMessage::State::kAwaitPubcomp);
  EXPECT_FALSE(released->delivery.message);
}

TEST(SessionRecordTest, InboundQos2Ids) {
  EXPECT_EQ(DecodeInboundRecord(InboundRecordKey("c", 300), EncodeInboundValue()), std::optional<uint16_t>(300));
  EXPECT_FALSE(DecodeInboundRecord(InboundRecordKey("c", 0), EncodeInboundValue()).has_value());
}

TEST(SessionRecordTest, MalformedValuesAreRejected) {
  const ClockPair now{0, 0};
  EXPECT_FALSE(DecodeSessionValue("").has_value());
  EXPECT_FALSE(DecodeSessionValue(std::string("\x01\x09", 2)).has_value());  // unknown protocol level
  EXPECT_FALSE(DecodeSessionValue(std::string("\x01\x04\x00\x00\x00\x00", 6)).has_value());  // cut short
  EXPECT_FALSE(DecodeSubscriptionRecord(SubscriptionRecordKey("c", "", "t"), std::string("\x01\x03\x00\x00\x00\x00\x00", 7)));
  EXPECT_FALSE(DecodeOutboundRecord(OutboundRecordKey("c", 1), std::string("\x01\x07\x01\x00", 4), now));  // bad state
  EXPECT_FALSE(DecodeOutboundRecord(OutboundRecordKey("c", 1), std::string("\x01\xff\x00\x00\x01", 5), now));  // cut short
  EXPECT_FALSE(DecodeOutboundRecord("oc", std::string("\x01\x02\x01\x00", 4), now));  // key without a sequence
}

TEST(SessionRecordTest, RestoredOutboundIsSortedAndDeduplicated) {
  RestoredSession session;
  const ClockPair now{0, 1'700'000'000'000};
  Delivery delivery;
  delivery.message = Make("t", "p");
  delivery.qos = 1;
  const std::string value = EncodeOutboundValue(delivery, true, InflightMessage::State::kAwaitPuback, 0, now);
  for (uint64_t seq : {5, 2, 9, 2}) ASSERT_TRUE(AddRestoredRecord(OutboundRecordKey("c", seq), value, now, session));
  SortRestoredOutbound(session);
  ASSERT_EQ(session.outbound.size(), 3u);
  EXPECT_EQ(session.outbound[0].seq, 2u);
  EXPECT_EQ(session.outbound[2].seq, 9u);
  EXPECT_EQ(session.highest_seq, 9u);
}

}  // namespace
}  // namespace ringmq
