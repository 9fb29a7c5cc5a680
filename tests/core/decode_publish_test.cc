// DecodePublish / DecodeServerPublish: byte vectors, rejection rules and the no-allocation guarantee.
#include <gtest/gtest.h>

#include "core/decoder.h"
#include "core/encoder.h"
#include "tests/core/alloc_counter.h"
#include "tests/core/codec_test_util.h"

// In ringmq::testing, so the helpers of codec_test_util.h need no using-declarations.
namespace ringmq::testing {
namespace {

Decoded<PublishPacket> Decode(const WirePacket& w, ProtocolVersion v) { return DecodePublish(w.frame, w.body(), v); }

Bytes Publish5(std::string_view topic, Bytes props, std::string_view payload = "p", bool with_id = false) {
  Bytes b;
  b.str(topic);
  if (with_id) b.u16(1);
  b.props(props).raw(payload);
  return b;
}

TEST(DecodePublish, V311QoS0) {
  const auto d = Decode(Packet(0x30, Bytes().str("a/b").raw("hello")), kV311);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.topic, "a/b");
  EXPECT_EQ(d.packet.payload, "hello");
  EXPECT_EQ(d.packet.qos, 0);
  EXPECT_FALSE(d.packet.dup);
  EXPECT_FALSE(d.packet.retain);
  EXPECT_EQ(d.packet.packet_id, 0);
}

TEST(DecodePublish, V311QoS1RetainDup) {
  const auto d = Decode(Packet(0x3B, Bytes().str("t").u16(10).raw("x")), kV311);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.qos, 1);
  EXPECT_TRUE(d.packet.dup);
  EXPECT_TRUE(d.packet.retain);
  EXPECT_EQ(d.packet.packet_id, 10);
  EXPECT_EQ(d.packet.payload, "x");
}

TEST(DecodePublish, EmptyPayloadIsValid) {
  const auto d = Decode(Packet(0x34, Bytes().str("t").u16(2)), kV311);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.packet.qos, 2);
  EXPECT_TRUE(d.packet.payload.empty());
}

TEST(DecodePublish, MQIsdpDecodesAs311) {
  EXPECT_TRUE(Decode(Packet(0x30, Bytes().str("t").raw("x")), ProtocolVersion::kV31).ok());
}

TEST(DecodePublish, QoS3IsMalformed_MQTT_3_3_1_4) {
  EXPECT_EQ(Decode(Packet(0x36, Bytes().str("t").u16(1)), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodePublish, DupWithQoS0IsMalformed_MQTT_3_3_1_2) {
  EXPECT_EQ(Decode(Packet(0x38, Bytes().str("t")), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Decode(Packet(0x38, Publish5("t", Bytes())), kV5).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodePublish, WildcardsInTopic_MQTT_3_3_2_2) {
  for (std::string_view topic : {"a/+", "#", "a/#", "+"}) {
    EXPECT_EQ(Decode(Packet(0x30, Bytes().str(topic)), kV311).error.reason, ReasonCode::kTopicNameInvalid) << topic;
    EXPECT_EQ(Decode(Packet(0x30, Publish5(topic, Bytes())), kV5).error.reason, ReasonCode::kTopicNameInvalid);
  }
}

TEST(DecodePublish, BadUtf8TopicIsMalformed) {
  for (std::string_view topic : {std::string_view("a\0b", 3), std::string_view("\xC0\xAF", 2),
                                 std::string_view("\xED\xA0\x80", 3), std::string_view("\x80", 1)}) {
    EXPECT_EQ(Decode(Packet(0x30, Bytes().str(topic)), kV311).error.reason, ReasonCode::kMalformedPacket);
  }
}

TEST(DecodePublish, EmptyTopic) {
  EXPECT_EQ(Decode(Packet(0x30, Bytes().str("")), kV311).error.reason, ReasonCode::kTopicNameInvalid);
  EXPECT_EQ(Decode(Packet(0x30, Publish5("", Bytes())), kV5).error.reason, ReasonCode::kProtocolError);
  const auto d = Decode(Packet(0x30, Publish5("", Bytes{0x23, 0x00, 0x07})), kV5);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.properties.topic_alias, 7);
  EXPECT_TRUE(d.packet.topic.empty());
}

TEST(DecodePublish, ZeroPacketIdIsProtocolError_MQTT_2_2_1_3) {
  EXPECT_EQ(Decode(Packet(0x32, Bytes().str("t").u16(0)), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Decode(Packet(0x34, Bytes().str("t").u16(0).u8(0)), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodePublish, V5Properties) {
  Bytes props;
  props.u8(0x01).u8(0x01).u8(0x02).u32(60).u8(0x03).str("text/plain").u8(0x08).str("reply");
  props.u8(0x09).str("cid").u8(0x23).u16(3).u8(0x26).str("k").str("v").u8(0x26).str("k").str("w");
  const auto d = Decode(Packet(0x32, Publish5("t", props, "hi", true)), kV5);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  const Properties& p = d.packet.properties;
  EXPECT_EQ(p.payload_format_indicator, 1);
  EXPECT_EQ(p.message_expiry_interval, 60u);
  EXPECT_EQ(p.content_type, "text/plain");
  EXPECT_EQ(p.response_topic, "reply");
  EXPECT_EQ(p.correlation_data, "cid");
  EXPECT_EQ(p.topic_alias, 3);
  ASSERT_EQ(p.user_properties.size(), 2u);
  EXPECT_EQ(p.user_properties[1].value, "w");
  EXPECT_EQ(d.packet.payload, "hi");
  EXPECT_EQ(d.packet.packet_id, 1);
}

TEST(DecodePublish, TopicAliasZero_MQTT_3_3_2_8) {
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x23, 0x00, 0x00})), kV5).error.reason,
            ReasonCode::kTopicAliasInvalid);
}

TEST(DecodePublish, PayloadFormatIndicator_MQTT_3_3_2_4) {
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x01, 0x01}, "\xFF\xFE")), kV5).error.reason,
            ReasonCode::kPayloadFormatInvalid);
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x01, 0x01}, std::string_view("a\0", 2))), kV5).error.reason,
            ReasonCode::kPayloadFormatInvalid);
  EXPECT_TRUE(Decode(Packet(0x30, Publish5("t", Bytes{0x01, 0x00}, "\xFF\xFE")), kV5).ok());
  EXPECT_TRUE(Decode(Packet(0x30, Publish5("t", Bytes{0x01, 0x01}, "caf\xC3\xA9")), kV5).ok());
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x01, 0x02})), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodePublish, SubscriptionIdentifierFromClientIsProtocolError_MQTT_3_3_4_6) {
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x0B, 0x01})), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodePublish, ResponseTopicMustNotHaveWildcards_MQTT_3_3_2_14) {
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes().u8(0x08).str("r/#"))), kV5).error.reason,
            ReasonCode::kProtocolError);
}

TEST(DecodePublish, DuplicateOrForeignProperty) {
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 1})), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x11, 0, 0, 0, 1})), kV5).error.reason,
            ReasonCode::kProtocolError);  // session expiry is not a PUBLISH property
  EXPECT_EQ(Decode(Packet(0x30, Publish5("t", Bytes{0x23, 0, 1, 0x23, 0, 2})), kV5).error.reason,
            ReasonCode::kProtocolError);
}

TEST(DecodePublish, TruncatedBeforePayload) {
  Bytes props;
  props.u8(0x03).str("ct").u8(0x26).str("k").str("v");
  const Bytes body = Publish5("topic", props, "", true);
  const WirePacket whole = Packet(0x32, body);
  ASSERT_TRUE(Decode(whole, kV5).ok());
  for (size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(Decode(Truncated(whole, n), kV5).ok()) << n;
  const WirePacket whole311 = Packet(0x32, Bytes().str("topic").u16(5));
  for (size_t n = 0; n < 9; ++n) {
    EXPECT_EQ(Decode(Truncated(whole311, n), kV311).error.reason, ReasonCode::kMalformedPacket) << n;
  }
}

TEST(DecodeServerPublish, AllowsRepeatedSubscriptionIdentifiers) {
  const WirePacket w = Packet(0x30, Publish5("t", Bytes{0x0B, 0x01, 0x0B, 0xFF, 0xFF, 0xFF, 0x7F}));
  const auto d = DecodeServerPublish(w.frame, w.body(), kV5);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.properties.subscription_identifiers, (std::vector<uint32_t>{1, 268435455}));
  const WirePacket zero = Packet(0x30, Publish5("t", Bytes{0x0B, 0x00}));
  EXPECT_EQ(DecodeServerPublish(zero.frame, zero.body(), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodePublish, DoesNotAllocate) {
  const WirePacket v311 = Packet(0x32, Bytes().str("sensors/kitchen/temp").u16(9).raw(std::string(4096, 'x')));
  const WirePacket v5 =
      Packet(0x32, Publish5("sensors/kitchen/temp", Bytes{0x01, 0x01, 0x02, 0, 0, 0, 9, 0x23, 0, 1}, "21.5", true));
  bool ok = false;
  EXPECT_EQ(testing::CountAllocations([&] { ok = Decode(v311, kV311).ok(); }), 0);
  EXPECT_TRUE(ok);
  EXPECT_EQ(testing::CountAllocations([&] { ok = Decode(v5, kV5).ok(); }), 0);
  EXPECT_TRUE(ok);
}

TEST(EncodePublish, DoesNotAllocateIntoReservedBufferAndReservesOnce) {
  PublishPacket p{.qos = 1, .topic = "sensors/kitchen/temp", .packet_id = 9, .payload = "21.5"};
  p.properties.message_expiry_interval = 10;
  for (ProtocolVersion v : {kV311, kV5}) {
    std::string out;
    out.reserve(256);
    EXPECT_EQ(testing::CountAllocations([&] { EncodePublish(p, v, out); }), 0);
    std::string fresh;
    EXPECT_EQ(testing::CountAllocations([&] { EncodePublish(p, v, fresh); }), 1);
  }
}

}  // namespace
}  // namespace ringmq::testing
