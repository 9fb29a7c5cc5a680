// Byte-exact encoder tests (bytes written by hand from the specification) and encode -> decode ->
// encode round trips for every packet type and every property.
#include "core/encoder.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/decoder.h"
#include "tests/core/codec_test_util.h"

namespace ringmq {
namespace {

using testing::Bytes;
using testing::ParseWhole;

constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

template <class F>
std::string Encoded(F&& encode) {
  std::string out;
  const size_t written = encode(out);
  EXPECT_EQ(written, out.size());
  return out;
}

TEST(EncodeConnect, V311MatchesSpecExample3_1_2_10) {
  ConnectPacket p;
  p.version = kV311;
  p.clean_start = true;
  p.keep_alive = 10;
  p.client_id = "c";
  p.will = Will{.topic = "w", .payload = "bye", .qos = 1, .retain = false};
  p.username = "u";
  p.password = "pw";
  Bytes body;
  body.str("MQTT").u8(4).u8(0xCE).u16(10).str("c").str("w").str("bye").str("u").str("pw");
  Bytes expected;
  expected.u8(0x10).varint(body.size()).raw(body);
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnect(p, o); }), expected.string());
}

TEST(EncodeConnect, V5MatchesSpecExample3_1_2_11) {
  ConnectPacket p;
  p.version = kV5;
  p.clean_start = true;
  p.keep_alive = 10;
  p.client_id = "";
  p.username = "u";
  p.properties.session_expiry_interval = 10;
  Bytes body;
  body.str("MQTT").u8(5).u8(0x82).u16(10).raw(Bytes{0x05, 0x11, 0x00, 0x00, 0x00, 0x0A}).str("").str("u");
  Bytes expected;
  expected.u8(0x10).varint(body.size()).raw(body);
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnect(p, o); }), expected.string());
}

TEST(EncodeConnect, V31UsesMQIsdp) {
  ConnectPacket p;
  p.version = ProtocolVersion::kV31;
  p.clean_start = false;
  p.client_id = "id";
  Bytes body;
  body.str("MQIsdp").u8(3).u8(0x00).u16(0).str("id");
  Bytes expected;
  expected.u8(0x10).varint(body.size()).raw(body);
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnect(p, o); }), expected.string());
}

TEST(EncodeConnack, V311UsesReturnCodes) {
  ConnackPacket p{.session_present = true, .reason = ReasonCode::kSuccess};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnack(p, kV311, o); }), std::string("\x20\x02\x01\x00", 4));
  p = {.session_present = false, .reason = ReasonCode::kBadUserNameOrPassword};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnack(p, kV311, o); }), std::string("\x20\x02\x00\x04", 4));
  p.reason = ReasonCode::kBanned;  // no 3.1.1 equivalent -> server unavailable
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnack(p, kV311, o); }), std::string("\x20\x02\x00\x03", 4));
}

TEST(EncodeConnack, V5WithProperties) {
  ConnackPacket p{.session_present = false, .reason = ReasonCode::kSuccess};
  p.properties.receive_maximum = 20;
  p.properties.assigned_client_identifier = "ab";
  Bytes expected{0x20, 0x0B, 0x00, 0x00, 0x08, 0x12, 0x00, 0x02, 'a', 'b', 0x21, 0x00, 0x14};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnack(p, kV5, o); }), expected.string());
  ConnackPacket empty{.reason = ReasonCode::kNotAuthorized};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeConnack(empty, kV5, o); }),
            std::string("\x20\x03\x00\x87\x00", 5));
}

TEST(EncodePublish, V311QoS0) {
  PublishPacket p{.retain = true, .topic = "a/b", .payload = "hi"};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, kV311, o); }),
            std::string("\x31\x07\x00\x03" "a/bhi", 9));
}

TEST(EncodePublish, V311QoS2DupWithPacketId) {
  PublishPacket p{.dup = true, .qos = 2, .topic = "t", .packet_id = 0x1234, .payload = "x"};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, kV311, o); }),
            std::string("\x3C\x06\x00\x01t\x12\x34x", 8));
}

TEST(EncodePublish, V5WithoutPropertiesWritesZeroLength) {
  PublishPacket p{.qos = 1, .topic = "t", .packet_id = 1, .payload = "x"};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, kV5, o); }),
            std::string("\x32\x07\x00\x01t\x00\x01\x00x", 9));
}

TEST(EncodePublish, V5WithProperties) {
  PublishPacket p{.topic = "", .payload = ""};
  p.properties.topic_alias = 5;
  p.properties.payload_format_indicator = 1;
  Bytes expected{0x30, 0x08, 0x00, 0x00, 0x05, 0x01, 0x01, 0x23, 0x00, 0x05};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, kV5, o); }), expected.string());
}

TEST(EncodePublish, LargePayloadUsesMultiByteRemainingLength) {
  const std::string payload(200, 'p');
  PublishPacket p{.topic = "t", .payload = payload};
  const std::string out = Encoded([&](std::string& o) { return EncodePublish(p, kV311, o); });
  EXPECT_EQ(out.substr(0, 3), std::string("\x30\xCB\x01", 3));  // 203 = 0xCB 0x01
  EXPECT_EQ(out.size(), 3u + 203u);
}

TEST(EncodePublish, AppendsToExistingBufferAndReservesOnce) {
  std::string out = "prefix";
  PublishPacket p{.topic = "t", .payload = "x"};
  EXPECT_EQ(EncodePublish(p, kV311, out), 6u);
  EXPECT_EQ(out, std::string("prefix\x30\x04\x00\x01tx", 12));
}

TEST(EncodePublishRaw, V5WritesPerSubscriberPropertiesThenRawBytes) {
  PublishPacket p{.qos = 1, .topic = "t", .packet_id = 2, .payload = "x"};
  p.properties.subscription_identifiers = {3, 200};
  p.properties.topic_alias = 1;
  const Bytes raw{0x03, 0x00, 0x01, 'j'};  // content type "j", already encoded
  Bytes props{0x0B, 0x03, 0x0B, 0xC8, 0x01, 0x23, 0x00, 0x01};
  props.raw(raw);
  Bytes body;
  body.str("t").u16(2).props(props).raw("x");
  Bytes expected;
  expected.u8(0x32).varint(static_cast<uint32_t>(body.size())).raw(body);
  const std::string out =
      Encoded([&](std::string& o) { return EncodePublish(p, raw.string(), kV5, o); });
  EXPECT_EQ(out, expected.string());
  EXPECT_EQ(PublishPacketSize(p, raw.string(), kV5), out.size());
}

TEST(EncodePublishRaw, V5RawBytesAlone) {
  PublishPacket p{.topic = "a", .payload = ""};
  const std::string raw("\x01\x01", 2);  // payload format indicator 1
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, raw, kV5, o); }),
            std::string("\x30\x06\x00\x01" "a\x02\x01\x01", 8));
}

TEST(EncodePublishRaw, V311IgnoresAllProperties) {
  PublishPacket p{.topic = "a", .payload = "z"};
  p.properties.topic_alias = 4;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublish(p, std::string("\x01\x01", 2), kV311, o); }),
            std::string("\x30\x04\x00\x01" "az", 6));
  EXPECT_EQ(PublishPacketSize(p, "\x01\x01", kV311), 6u);
}

TEST(EncodePublishRaw, DecodesBackWithEveryProperty) {
  PublishPacket p{.qos = 2, .topic = "x/y", .packet_id = 9, .payload = "{}"};
  p.properties.message_expiry_interval = 30;
  p.properties.subscription_identifiers = {1, 2};
  const Bytes raw = Bytes{0x01, 0x01, 0x26}.str("k").str("v");
  std::string out;
  EncodePublish(p, raw.string(), kV5, out);
  const testing::WirePacket wire = ParseWhole(out);
  const Decoded<PublishPacket> decoded = DecodeServerPublish(wire.frame, wire.body(), kV5);
  ASSERT_TRUE(decoded.ok()) << decoded.error.detail;
  EXPECT_EQ(decoded.packet.properties.message_expiry_interval, 30u);
  EXPECT_EQ(decoded.packet.properties.subscription_identifiers, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(decoded.packet.properties.payload_format_indicator, 1);
  ASSERT_EQ(decoded.packet.properties.user_properties.size(), 1u);
  EXPECT_EQ(decoded.packet.properties.user_properties[0].key, "k");
  EXPECT_EQ(decoded.packet.payload, "{}");
}

TEST(EncodePublishHead, V311StopsBeforeThePayloadItCounts) {
  PublishPacket p{.qos = 1, .topic = "a/b", .packet_id = 0x0102, .payload = "hello"};
  // Remaining Length 12 = topic 2+3, packet id 2, payload 5; the payload bytes are not written.
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublishHead(p, {}, kV311, o); }),
            std::string("\x32\x0C\x00\x03" "a/b\x01\x02", 9));
}

TEST(EncodePublishHead, V5WritesPropertiesAndAMultiByteRemainingLength) {
  const std::string payload(300, 'p');
  PublishPacket p{.topic = "t", .payload = payload};
  p.properties.subscription_identifiers = {7};
  const Bytes raw{0x01, 0x01};  // payload format indicator, already encoded
  Bytes props{0x0B, 0x07};
  props.raw(raw);
  Bytes head_body;
  head_body.str("t").props(props);
  Bytes expected;
  expected.u8(0x30).varint(static_cast<uint32_t>(head_body.size() + payload.size())).raw(head_body);
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodePublishHead(p, raw.string(), kV5, o); }),
            expected.string());
}

TEST(EncodePublishHead, AppendsAfterExistingBytes) {
  std::string out = "ack";
  PublishPacket p{.topic = "t", .payload = "xyz"};
  EXPECT_EQ(EncodePublishHead(p, {}, kV311, out), 5u);
  EXPECT_EQ(out, std::string("ack\x30\x06\x00\x01t", 8));
}

TEST(EncodePublishHead, HeadThenPayloadIsTheWholePacketAtEveryLengthBoundary) {
  const Bytes raw = Bytes{0x03}.str("text/plain");  // content type
  for (size_t size : {0u, 1u, 117u, 118u, 16373u, 16374u, 70000u}) {
    const std::string payload(size, static_cast<char>('a' + size % 26));
    for (ProtocolVersion v : {kV311, kV5}) {
      PublishPacket p{.dup = true, .qos = 2, .retain = true, .topic = "x/y", .packet_id = 9, .payload = payload};
      std::string whole;
      EncodePublish(p, raw.string(), v, whole);
      std::string head;
      EncodePublishHead(p, raw.string(), v, head);
      EXPECT_EQ(head + payload, whole) << "payload " << size << " version " << static_cast<int>(v);
      EXPECT_EQ(head.size() + payload.size(), PublishPacketSize(p, raw.string(), v));
    }
  }
}

TEST(AckPacketSize, MatchesEncodedBytes) {
  AckPacket p{.type = PacketType::kPubcomp, .packet_id = 1, .reason = ReasonCode::kPacketIdentifierNotFound};
  p.properties.reason_string = "no such id";
  for (ProtocolVersion v : {kV311, kV5}) {
    std::string out;
    EncodeAck(p, v, out);
    EXPECT_EQ(AckPacketSize(p, v), out.size());
  }
}

TEST(EncodeAck, V311IsFourBytes) {
  AckPacket p{.type = PacketType::kPuback, .packet_id = 7, .reason = ReasonCode::kQuotaExceeded};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV311, o); }), std::string("\x40\x02\x00\x07", 4));
  p.type = PacketType::kPubrel;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV311, o); }), std::string("\x62\x02\x00\x07", 4));
  p.type = PacketType::kPubrec;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV311, o); }), std::string("\x50\x02\x00\x07", 4));
  p.type = PacketType::kPubcomp;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV311, o); }), std::string("\x70\x02\x00\x07", 4));
}

TEST(EncodeAck, V5OmitsSuccessAndEmptyProperties) {
  AckPacket p{.type = PacketType::kPuback, .packet_id = 7};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV5, o); }), std::string("\x40\x02\x00\x07", 4));
  p.reason = ReasonCode::kNoMatchingSubscribers;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV5, o); }), std::string("\x40\x03\x00\x07\x10", 5));
  p.properties.reason_string = "r";
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV5, o); }),
            std::string("\x40\x08\x00\x07\x10\x04\x1F\x00\x01r", 10));
  p.reason = ReasonCode::kSuccess;  // properties force the reason code onto the wire
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAck(p, kV5, o); }),
            std::string("\x40\x08\x00\x07\x00\x04\x1F\x00\x01r", 10));
}

TEST(EncodeSubscribe, V311) {
  SubscribePacket p{.packet_id = 10};
  p.subscriptions = {{"a/#", {.max_qos = 1}}, {"b", {.max_qos = 2, .no_local = true}}};
  // 3.1.1 has no option bits beyond QoS: no_local is dropped.
  const Bytes expected{0x82, 0x0C, 0x00, 0x0A, 0x00, 0x03, 'a', '/', '#', 0x01, 0x00, 0x01, 'b', 0x02};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeSubscribe(p, kV311, o); }), expected.string());
}

TEST(EncodeSubscribe, V5WithOptionsAndSubscriptionId) {
  SubscribePacket p{.packet_id = 10};
  p.properties.subscription_identifiers = {300};
  p.subscriptions = {{"t", {.max_qos = 1, .no_local = true, .retain_as_published = true, .retain_handling = 2}}};
  Bytes expected{0x82, 0x0A, 0x00, 0x0A, 0x03, 0x0B, 0xAC, 0x02, 0x00, 0x01, 't', 0x2D};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeSubscribe(p, kV5, o); }), expected.string());
}

TEST(EncodeSuback, V311MapsErrorsTo0x80) {
  SubackPacket p{.type = PacketType::kSuback, .packet_id = 3};
  p.reasons = {ReasonCode::kSuccess, ReasonCode::kGrantedQos1, ReasonCode::kGrantedQos2,
               ReasonCode::kTopicFilterInvalid};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeSuback(p, kV311, o); }),
            std::string("\x90\x06\x00\x03\x00\x01\x02\x80", 8));
}

TEST(EncodeSuback, V311UnsubackHasNoPayload) {
  SubackPacket p{.type = PacketType::kUnsuback, .packet_id = 3, .reasons = {ReasonCode::kSuccess}};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeSuback(p, kV311, o); }), std::string("\xB0\x02\x00\x03", 4));
}

TEST(EncodeSuback, V5UnsubackWithCodes) {
  SubackPacket p{.type = PacketType::kUnsuback, .packet_id = 3};
  p.reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeSuback(p, kV5, o); }),
            std::string("\xB0\x05\x00\x03\x00\x00\x11", 7));
}

TEST(EncodeUnsubscribe, V311AndV5) {
  UnsubscribePacket p{.packet_id = 2, .filters = {"a", "b/+"}};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeUnsubscribe(p, kV311, o); }),
            std::string("\xA2\x0A\x00\x02\x00\x01" "a\x00\x03" "b/+", 12));
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeUnsubscribe(p, kV5, o); }),
            std::string("\xA2\x0B\x00\x02\x00\x00\x01" "a\x00\x03" "b/+", 13));
}

TEST(EncodePing, ReqAndResp) {
  EXPECT_EQ(Encoded([](std::string& o) { return EncodePingreq(o); }), std::string("\xC0\x00", 2));
  EXPECT_EQ(Encoded([](std::string& o) { return EncodePingresp(o); }), std::string("\xD0\x00", 2));
}

TEST(EncodeDisconnect, V311IsTwoBytes) {
  DisconnectPacket p{.reason = ReasonCode::kServerBusy};
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeDisconnect(p, kV311, o); }), std::string("\xE0\x00", 2));
}

TEST(EncodeDisconnect, V5Forms) {
  DisconnectPacket p;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeDisconnect(p, kV5, o); }), std::string("\xE0\x00", 2));
  p.reason = ReasonCode::kSessionTakenOver;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeDisconnect(p, kV5, o); }), std::string("\xE0\x01\x8E", 3));
  p.properties.session_expiry_interval = 0;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeDisconnect(p, kV5, o); }),
            std::string("\xE0\x07\x8E\x05\x11\x00\x00\x00\x00", 9));
}

TEST(EncodeAuth, Forms) {
  AuthPacket p;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAuth(p, o); }), std::string("\xF0\x00", 2));
  p.reason = ReasonCode::kContinueAuthentication;
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAuth(p, o); }), std::string("\xF0\x02\x18\x00", 4));
  p.properties.authentication_method = "M";
  EXPECT_EQ(Encoded([&](std::string& o) { return EncodeAuth(p, o); }),
            std::string("\xF0\x06\x18\x04\x15\x00\x01M", 8));
}

TEST(Varint, SizesAndBytesAtBoundaries) {
  struct Case {
    uint32_t value;
    std::string bytes;
  };
  const Case cases[] = {{0, std::string("\x00", 1)},
                        {127, "\x7F"},
                        {128, "\x80\x01"},
                        {16383, "\xFF\x7F"},
                        {16384, "\x80\x80\x01"},
                        {2097151, "\xFF\xFF\x7F"},
                        {2097152, "\x80\x80\x80\x01"},
                        {268435455, "\xFF\xFF\xFF\x7F"}};
  for (const Case& c : cases) {
    std::string out;
    EXPECT_EQ(AppendVarint(c.value, out), c.bytes.size()) << c.value;
    EXPECT_EQ(out, c.bytes) << c.value;
    EXPECT_EQ(VarintSize(c.value), c.bytes.size()) << c.value;
  }
}

TEST(EncodeProperties, WritesLengthPrefixAndMatchesPropertiesSize) {
  Properties props;
  props.user_properties = {{"k", "v"}};
  props.message_expiry_interval = 60;
  std::string out;
  EXPECT_EQ(EncodeProperties(props, out), 13u);
  EXPECT_EQ(PropertiesSize(props), 12u);
  EXPECT_EQ(out, std::string("\x0C\x02\x00\x00\x00\x3C\x26\x00\x01k\x00\x01v", 13));
}

// ---- Round trips: encode, decode, encode again; the bytes must not change. ----

std::string ReEncodeConnect(const std::string& bytes) {
  const testing::WirePacket wire = ParseWhole(bytes);
  const auto decoded = DecodeConnect(wire.frame, wire.body());
  EXPECT_TRUE(decoded.ok()) << decoded.error.detail;
  std::string again;
  EncodeConnect(decoded.packet, again);
  return again;
}

TEST(RoundTrip, ConnectAllVersionsAndFields) {
  for (ProtocolVersion v : {ProtocolVersion::kV31, kV311, kV5}) {
    ConnectPacket p;
    p.version = v;
    p.clean_start = false;
    p.keep_alive = 65535;
    p.client_id = "client-\xC3\xA9";
    p.will = Will{.topic = "will/topic", .payload = std::string_view("\x00\xFF", 2), .qos = 2, .retain = true};
    p.username = "user";
    p.password = std::string_view("\x00pw", 3);
    if (IsV5(v)) {
      p.properties.session_expiry_interval = 3600;
      p.properties.receive_maximum = 10;
      p.properties.maximum_packet_size = 1 << 20;
      p.properties.topic_alias_maximum = 5;
      p.properties.request_response_information = 1;
      p.properties.request_problem_information = 0;
      p.properties.user_properties = {{"a", "1"}, {"a", "2"}};
      p.properties.authentication_method = "SCRAM";
      p.properties.authentication_data = "data";
      p.will->properties.will_delay_interval = 5;
      p.will->properties.payload_format_indicator = 0;
      p.will->properties.message_expiry_interval = 9;
      p.will->properties.content_type = "bin";
      p.will->properties.response_topic = "resp";
      p.will->properties.correlation_data = "corr";
      p.will->properties.user_properties = {{"w", "x"}};
    }
    std::string out;
    EncodeConnect(p, out);
    EXPECT_EQ(ReEncodeConnect(out), out) << static_cast<int>(v);
    const testing::WirePacket wire = ParseWhole(out);
    const auto decoded = DecodeConnect(wire.frame, wire.body());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.packet.version, v);
    EXPECT_EQ(decoded.packet.client_id, p.client_id);
    ASSERT_TRUE(decoded.packet.will.has_value());
    EXPECT_EQ(decoded.packet.will->qos, 2);
    EXPECT_TRUE(decoded.packet.will->retain);
    EXPECT_EQ(decoded.packet.will->payload, p.will->payload);
    EXPECT_EQ(decoded.packet.password, p.password);
  }
}

TEST(RoundTrip, ConnectMinimal) {
  for (ProtocolVersion v : {kV311, kV5}) {
    ConnectPacket p{.version = v};
    std::string out;
    EncodeConnect(p, out);
    EXPECT_EQ(ReEncodeConnect(out), out);
  }
}

TEST(RoundTrip, ConnackBothVersions) {
  for (ProtocolVersion v : {kV311, kV5}) {
    for (ReasonCode r : {ReasonCode::kSuccess, ReasonCode::kUnsupportedProtocolVersion,
                         ReasonCode::kClientIdentifierNotValid, ReasonCode::kServerUnavailable,
                         ReasonCode::kBadUserNameOrPassword, ReasonCode::kNotAuthorized}) {
      ConnackPacket p{.session_present = r == ReasonCode::kSuccess, .reason = r};
      std::string out;
      EncodeConnack(p, v, out);
      const testing::WirePacket wire = ParseWhole(out);
      const auto decoded = DecodeConnack(wire.frame, wire.body(), v);
      ASSERT_TRUE(decoded.ok()) << decoded.error.detail;
      EXPECT_EQ(decoded.packet.reason, r);
      EXPECT_EQ(decoded.packet.session_present, p.session_present);
    }
  }
}

TEST(RoundTrip, PublishEveryQoSBothVersions) {
  for (ProtocolVersion v : {kV311, kV5}) {
    for (uint8_t qos = 0; qos <= 2; ++qos) {
      PublishPacket p{.dup = qos > 0, .qos = qos, .retain = true, .topic = "a/b/c",
                      .packet_id = static_cast<uint16_t>(qos ? 99 : 0), .payload = "payload"};
      std::string out;
      EncodePublish(p, v, out);
      const testing::WirePacket wire = ParseWhole(out);
      const auto decoded = DecodePublish(wire.frame, wire.body(), v);
      ASSERT_TRUE(decoded.ok()) << decoded.error.detail;
      EXPECT_EQ(decoded.packet.qos, qos);
      EXPECT_EQ(decoded.packet.dup, qos > 0);
      EXPECT_TRUE(decoded.packet.retain);
      EXPECT_EQ(decoded.packet.topic, "a/b/c");
      EXPECT_EQ(decoded.packet.packet_id, p.packet_id);
      EXPECT_EQ(decoded.packet.payload, "payload");
      std::string again;
      EncodePublish(decoded.packet, v, again);
      EXPECT_EQ(again, out);
    }
  }
}

TEST(RoundTrip, AcksBothVersions) {
  for (ProtocolVersion v : {kV311, kV5}) {
    for (PacketType type : {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
      AckPacket p{.type = type, .packet_id = 65535};
      const bool release = type == PacketType::kPubrel || type == PacketType::kPubcomp;
      if (IsV5(v)) {
        p.reason = release ? ReasonCode::kPacketIdentifierNotFound : ReasonCode::kPayloadFormatInvalid;
        p.properties.reason_string = "why";
        p.properties.user_properties = {{"k", "v"}};
      }
      std::string out;
      EncodeAck(p, v, out);
      const testing::WirePacket wire = ParseWhole(out);
      const auto decoded = DecodeAck(wire.frame, wire.body(), v);
      ASSERT_TRUE(decoded.ok()) << decoded.error.detail;
      EXPECT_EQ(decoded.packet.type, type);
      EXPECT_EQ(decoded.packet.packet_id, 65535);
      EXPECT_EQ(decoded.packet.reason, p.reason);
      std::string again;
      EncodeAck(decoded.packet, v, again);
      EXPECT_EQ(again, out);
    }
  }
}

TEST(RoundTrip, SubscribeUnsubscribeSubackUnsuback) {
  for (ProtocolVersion v : {kV311, kV5}) {
    const bool v5 = IsV5(v);
    SubscribePacket sub{.packet_id = 1};
    sub.subscriptions = {{"a/+/c", {.max_qos = 2}},
                         {"#", {.max_qos = 1, .no_local = v5, .retain_as_published = v5,
                                .retain_handling = static_cast<uint8_t>(v5 ? 1 : 0)}}};
    if (v5) sub.properties.subscription_identifiers = {268435455};
    std::string out;
    EncodeSubscribe(sub, v, out);
    testing::WirePacket wire = ParseWhole(out);
    const auto sub_decoded = DecodeSubscribe(wire.frame, wire.body(), v);
    ASSERT_TRUE(sub_decoded.ok()) << sub_decoded.error.detail;
    ASSERT_EQ(sub_decoded.packet.subscriptions.size(), 2u);
    EXPECT_EQ(sub_decoded.packet.subscriptions[1].options.no_local, v5);
    std::string again;
    EncodeSubscribe(sub_decoded.packet, v, again);
    EXPECT_EQ(again, out);

    UnsubscribePacket unsub{.packet_id = 2, .filters = {"a/+/c", "#"}};
    if (v5) unsub.properties.user_properties = {{"u", "p"}};
    out.clear();
    EncodeUnsubscribe(unsub, v, out);
    wire = ParseWhole(out);
    const auto unsub_decoded = DecodeUnsubscribe(wire.frame, wire.body(), v);
    ASSERT_TRUE(unsub_decoded.ok()) << unsub_decoded.error.detail;
    EXPECT_EQ(unsub_decoded.packet.filters.size(), 2u);
    again.clear();
    EncodeUnsubscribe(unsub_decoded.packet, v, again);
    EXPECT_EQ(again, out);

    for (PacketType type : {PacketType::kSuback, PacketType::kUnsuback}) {
      SubackPacket ack{.type = type, .packet_id = 3};
      ack.reasons = type == PacketType::kSuback
                        ? std::vector<ReasonCode>{ReasonCode::kGrantedQos2, ReasonCode::kUnspecifiedError}
                        : std::vector<ReasonCode>{ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
      if (v5) ack.properties.reason_string = "ok";
      out.clear();
      EncodeSuback(ack, v, out);
      wire = ParseWhole(out);
      const auto ack_decoded = DecodeSuback(wire.frame, wire.body(), v);
      ASSERT_TRUE(ack_decoded.ok()) << ack_decoded.error.detail;
      EXPECT_EQ(ack_decoded.packet.type, type);
      again.clear();
      EncodeSuback(ack_decoded.packet, v, again);
      EXPECT_EQ(again, out);
    }
  }
}

TEST(RoundTrip, DisconnectAuthPing) {
  DisconnectPacket d{.reason = ReasonCode::kDisconnectWithWill};
  d.properties.session_expiry_interval = 7;
  d.properties.reason_string = "bye";
  d.properties.server_reference = "other";
  std::string out;
  EncodeDisconnect(d, kV5, out);
  testing::WirePacket wire = ParseWhole(out);
  const auto dd = DecodeDisconnect(wire.frame, wire.body(), kV5);
  ASSERT_TRUE(dd.ok()) << dd.error.detail;
  EXPECT_EQ(dd.packet.reason, ReasonCode::kDisconnectWithWill);
  std::string again;
  EncodeDisconnect(dd.packet, kV5, again);
  EXPECT_EQ(again, out);

  AuthPacket a{.reason = ReasonCode::kReAuthenticate};
  a.properties.authentication_method = "SCRAM-SHA-1";
  a.properties.authentication_data = std::string_view("\x01\x02", 2);
  a.properties.reason_string = "r";
  out.clear();
  EncodeAuth(a, out);
  wire = ParseWhole(out);
  const auto ad = DecodeAuth(wire.frame, wire.body(), kV5);
  ASSERT_TRUE(ad.ok()) << ad.error.detail;
  EXPECT_EQ(ad.packet.reason, ReasonCode::kReAuthenticate);
  again.clear();
  EncodeAuth(ad.packet, again);
  EXPECT_EQ(again, out);

  out.clear();
  EncodePingreq(out);
  wire = ParseWhole(out);
  EXPECT_TRUE(DecodePingreq(wire.frame, wire.body()).ok());
}

// Every property, alone, on a packet that allows it: encode, decode, re-encode.
struct PropertyCase {
  const char* name;
  std::function<void(Properties&)> set;
};

const std::vector<PropertyCase>& MessageProperties() {
  static const std::vector<PropertyCase> cases = {
      {"payload_format_indicator", [](Properties& p) { p.payload_format_indicator = 1; }},
      {"message_expiry_interval", [](Properties& p) { p.message_expiry_interval = 0xFFFFFFFF; }},
      {"content_type", [](Properties& p) { p.content_type = "text/plain"; }},
      {"response_topic", [](Properties& p) { p.response_topic = "reply/here"; }},
      {"correlation_data", [](Properties& p) { p.correlation_data = std::string_view("\x00\x01", 2); }},
      {"topic_alias", [](Properties& p) { p.topic_alias = 65535; }},
      {"user_properties", [](Properties& p) { p.user_properties = {{"k", "v"}, {"k", "w"}, {"", ""}}; }},
  };
  return cases;
}

TEST(RoundTrip, EveryPublishProperty) {
  for (const PropertyCase& c : MessageProperties()) {
    PublishPacket p{.qos = 1, .topic = "t", .packet_id = 1, .payload = "utf8 text"};
    c.set(p.properties);
    std::string out;
    EncodePublish(p, kV5, out);
    const testing::WirePacket wire = ParseWhole(out);
    const auto decoded = DecodePublish(wire.frame, wire.body(), kV5);
    ASSERT_TRUE(decoded.ok()) << c.name << ": " << decoded.error.detail;
    std::string again;
    EncodePublish(decoded.packet, kV5, again);
    EXPECT_EQ(again, out) << c.name;
  }
}

TEST(RoundTrip, ServerPublishWithSeveralSubscriptionIdentifiers) {
  PublishPacket p{.topic = "t", .payload = "x"};
  p.properties.subscription_identifiers = {1, 128, 16384, 268435455};
  std::string out;
  EncodePublish(p, kV5, out);
  const testing::WirePacket wire = ParseWhole(out);
  const auto decoded = DecodeServerPublish(wire.frame, wire.body(), kV5);
  ASSERT_TRUE(decoded.ok()) << decoded.error.detail;
  EXPECT_EQ(decoded.packet.properties.subscription_identifiers, p.properties.subscription_identifiers);
  std::string again;
  EncodePublish(decoded.packet, kV5, again);
  EXPECT_EQ(again, out);
}

TEST(RoundTrip, EveryConnackProperty) {
  const std::vector<PropertyCase> cases = {
      {"session_expiry_interval", [](Properties& p) { p.session_expiry_interval = 1; }},
      {"assigned_client_identifier", [](Properties& p) { p.assigned_client_identifier = "auto-1"; }},
      {"server_keep_alive", [](Properties& p) { p.server_keep_alive = 30; }},
      {"authentication_method", [](Properties& p) { p.authentication_method = "m"; }},
      {"authentication_data", [](Properties& p) { p.authentication_method = "m", p.authentication_data = "d"; }},
      {"response_information", [](Properties& p) { p.response_information = "resp/"; }},
      {"server_reference", [](Properties& p) { p.server_reference = "host:1883"; }},
      {"reason_string", [](Properties& p) { p.reason_string = "welcome"; }},
      {"receive_maximum", [](Properties& p) { p.receive_maximum = 65535; }},
      {"topic_alias_maximum", [](Properties& p) { p.topic_alias_maximum = 0; }},
      {"maximum_qos", [](Properties& p) { p.maximum_qos = 1; }},
      {"retain_available", [](Properties& p) { p.retain_available = 0; }},
      {"user_properties", [](Properties& p) { p.user_properties = {{"k", "v"}}; }},
      {"maximum_packet_size", [](Properties& p) { p.maximum_packet_size = 1024; }},
      {"wildcard_subscription_available", [](Properties& p) { p.wildcard_subscription_available = 1; }},
      {"subscription_identifier_available", [](Properties& p) { p.subscription_identifier_available = 0; }},
      {"shared_subscription_available", [](Properties& p) { p.shared_subscription_available = 1; }},
  };
  for (const PropertyCase& c : cases) {
    ConnackPacket p;
    c.set(p.properties);
    std::string out;
    EncodeConnack(p, kV5, out);
    const testing::WirePacket wire = ParseWhole(out);
    const auto decoded = DecodeConnack(wire.frame, wire.body(), kV5);
    ASSERT_TRUE(decoded.ok()) << c.name << ": " << decoded.error.detail;
    std::string again;
    EncodeConnack(decoded.packet, kV5, again);
    EXPECT_EQ(again, out) << c.name;
  }
}

TEST(RoundTrip, EveryConnectAndWillProperty) {
  const std::vector<PropertyCase> connect_cases = {
      {"session_expiry_interval", [](Properties& p) { p.session_expiry_interval = 0xFFFFFFFF; }},
      {"authentication_method", [](Properties& p) { p.authentication_method = "m"; }},
      {"authentication_data", [](Properties& p) { p.authentication_method = "m", p.authentication_data = ""; }},
      {"request_problem_information", [](Properties& p) { p.request_problem_information = 1; }},
      {"request_response_information", [](Properties& p) { p.request_response_information = 0; }},
      {"receive_maximum", [](Properties& p) { p.receive_maximum = 1; }},
      {"topic_alias_maximum", [](Properties& p) { p.topic_alias_maximum = 10; }},
      {"user_properties", [](Properties& p) { p.user_properties = {{"k", "v"}}; }},
      {"maximum_packet_size", [](Properties& p) { p.maximum_packet_size = 268435460; }},
  };
  for (const PropertyCase& c : connect_cases) {
    ConnectPacket p{.version = kV5, .client_id = "c"};
    c.set(p.properties);
    std::string out;
    EncodeConnect(p, out);
    EXPECT_EQ(ReEncodeConnect(out), out) << c.name;
  }
  std::vector<PropertyCase> will_cases = MessageProperties();
  will_cases.erase(will_cases.begin() + 5);  // topic_alias is not a will property
  will_cases.push_back({"will_delay_interval", [](Properties& p) { p.will_delay_interval = 60; }});
  for (const PropertyCase& c : will_cases) {
    ConnectPacket p{.version = kV5, .client_id = "c"};
    p.will = Will{.topic = "w", .payload = "text"};
    c.set(p.will->properties);
    std::string out;
    EncodeConnect(p, out);
    EXPECT_EQ(ReEncodeConnect(out), out) << c.name;
  }
}

}  // namespace
}  // namespace ringmq
