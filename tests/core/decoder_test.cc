// Acks, SUBSCRIBE/UNSUBSCRIBE, SUBACK/UNSUBACK, DISCONNECT, AUTH and PINGREQ decoding.
#include "core/decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "core/encoder.h"
#include "tests/core/codec_test_util.h"

// In ringmq::testing, so the helpers of codec_test_util.h need no using-declarations.
namespace ringmq::testing {
namespace {

// ---- PUBACK / PUBREC / PUBREL / PUBCOMP ----

Decoded<AckPacket> Ack(const WirePacket& w, ProtocolVersion v) { return DecodeAck(w.frame, w.body(), v); }

TEST(DecodeAck, V311AllFour) {
  for (uint8_t first : {0x40, 0x50, 0x62, 0x70}) {
    const auto d = Ack(Packet(first, Bytes{0x12, 0x34}), kV311);
    ASSERT_TRUE(d.ok()) << int{first};
    EXPECT_EQ(d.packet.type, static_cast<PacketType>(first >> 4));
    EXPECT_EQ(d.packet.packet_id, 0x1234);
    EXPECT_EQ(d.packet.reason, ReasonCode::kSuccess);
  }
}

TEST(DecodeAck, FixedHeaderFlags_MQTT_3_6_1_1) {
  EXPECT_EQ(Ack(Packet(0x60, Bytes{0, 1}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Ack(Packet(0x42, Bytes{0, 1}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Ack(Packet(0x72, Bytes{0, 1}), kV5).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeAck, V311LengthMustBeTwo) {
  EXPECT_EQ(Ack(Packet(0x40, Bytes{0, 1, 0}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Ack(Packet(0x40, Bytes{0}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Ack(Packet(0x40, Bytes{}), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeAck, ZeroPacketId) {
  EXPECT_EQ(Ack(Packet(0x40, Bytes{0, 0}), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x50, Bytes{0, 0}), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodeAck, V5Forms_3_4_2_1) {
  const auto two = Ack(Packet(0x40, Bytes{0, 1}), kV5);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two.packet.reason, ReasonCode::kSuccess);
  const auto three = Ack(Packet(0x40, Bytes{0, 1, 0x10}), kV5);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three.packet.reason, ReasonCode::kNoMatchingSubscribers);
  const auto four = Ack(Packet(0x50, Bytes{0, 1, 0x80, 0x00}), kV5);
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four.packet.reason, ReasonCode::kUnspecifiedError);
  const auto props = Ack(Packet(0x62, Bytes().u16(1).u8(0x92).props(Bytes().u8(0x1F).str("gone"))), kV5);
  ASSERT_TRUE(props.ok()) << props.error.detail;
  EXPECT_EQ(props.packet.reason, ReasonCode::kPacketIdentifierNotFound);
  EXPECT_EQ(props.packet.properties.reason_string, "gone");
}

TEST(DecodeAck, V5ReasonCodesPerType) {
  EXPECT_EQ(Ack(Packet(0x62, Bytes{0, 1, 0x10}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x70, Bytes{0, 1, 0x80}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x40, Bytes{0, 1, 0x92}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x40, Bytes{0, 1, 0x04}), kV5).error.reason, ReasonCode::kProtocolError);
  for (uint8_t code : {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}) {
    EXPECT_TRUE(Ack(Packet(0x50, Bytes{0, 1, code}), kV5).ok()) << int{code};
  }
}

TEST(DecodeAck, V5PropertyRules) {
  EXPECT_EQ(Ack(Packet(0x40, Bytes().u16(1).u8(0).props(Bytes{0x0B, 0x01})), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x40, Bytes().u16(1).u8(0).props(Bytes().u8(0x1F).str("a").u8(0x1F).str("b"))), kV5)
                .error.reason,
            ReasonCode::kProtocolError);
  EXPECT_EQ(Ack(Packet(0x40, Bytes().u16(1).u8(0).props(Bytes()).u8(0)), kV5).error.reason,
            ReasonCode::kMalformedPacket);  // trailing byte
  const WirePacket whole = Packet(0x40, Bytes().u16(1).u8(0).props(Bytes().u8(0x26).str("k").str("v")));
  for (size_t n = 4; n < whole.body().size(); ++n) {
    EXPECT_EQ(Ack(Truncated(whole, n), kV5).error.reason, ReasonCode::kMalformedPacket) << n;
  }
}

// ---- SUBSCRIBE ----

Decoded<SubscribePacket> Sub(const WirePacket& w, ProtocolVersion v) { return DecodeSubscribe(w.frame, w.body(), v); }

TEST(DecodeSubscribe, V311SpecExample_3_8_3) {
  const auto d = Sub(Packet(0x82, Bytes().u16(10).str("a/b").u8(1).str("c/d").u8(2)), kV311);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.packet_id, 10);
  ASSERT_EQ(d.packet.subscriptions.size(), 2u);
  EXPECT_EQ(d.packet.subscriptions[0].filter, "a/b");
  EXPECT_EQ(d.packet.subscriptions[0].options.max_qos, 1);
  EXPECT_EQ(d.packet.subscriptions[1].filter, "c/d");
  EXPECT_EQ(d.packet.subscriptions[1].options.max_qos, 2);
}

TEST(DecodeSubscribe, V5OptionsAndSubscriptionIdentifier) {
  const auto d = Sub(Packet(0x82, Bytes().u16(1).props(Bytes{0x0B, 0x80, 0x01}).str("x/#").u8(0x2D)), kV5);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.properties.subscription_identifiers, std::vector<uint32_t>{128});
  const SubscriptionOptions& o = d.packet.subscriptions[0].options;
  EXPECT_EQ(o.max_qos, 1);
  EXPECT_TRUE(o.no_local);
  EXPECT_TRUE(o.retain_as_published);
  EXPECT_EQ(o.retain_handling, 2);
}

TEST(DecodeSubscribe, FlagsMustBe0010_MQTT_3_8_1_1) {
  EXPECT_EQ(Sub(Packet(0x80, Bytes().u16(1).str("a").u8(0)), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x83, Bytes().u16(1).str("a").u8(0)), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeSubscribe, ZeroPacketIdAndNoFilters) {
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(0).str("a").u8(0)), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1)), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0)), kV5).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodeSubscribe, InvalidFilterIsMalformed) {
  for (std::string_view filter : {"a/#/b", "a+", "", "sport/tennis#"}) {
    EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).str(filter).u8(0)), kV311).error.reason, ReasonCode::kMalformedPacket)
        << filter;
    EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str(filter).u8(0)), kV5).error.reason,
              ReasonCode::kMalformedPacket)
        << filter;
  }
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).str("\xC0\x80").u8(0)), kV311).error.reason,
            ReasonCode::kMalformedPacket);
}

TEST(DecodeSubscribe, OptionBits_MQTT_3_8_3_4_and_5) {
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).str("a").u8(3)), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).str("a").u8(0x04)), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("a").u8(0x40)), kV5).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("a").u8(0x80)), kV5).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("a").u8(0x03)), kV5).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("a").u8(0x30)), kV5).error.reason,
            ReasonCode::kProtocolError);  // retain handling 3
}

TEST(DecodeSubscribe, NoLocalOnSharedSubscription_MQTT_3_8_3_4) {
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("$share/g/a").u8(0x04)), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_TRUE(Sub(Packet(0x82, Bytes().u16(1).u8(0).str("$share/g/a").u8(0x01)), kV5).ok());
}

TEST(DecodeSubscribe, SubscriptionIdentifierRules_3_8_2_1_2) {
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).props(Bytes{0x0B, 0x00}).str("a").u8(0)), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).props(Bytes{0x0B, 0x01, 0x0B, 0x02}).str("a").u8(0)), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_TRUE(Sub(Packet(0x82, Bytes().u16(1).props(Bytes{0x0B, 0xFF, 0xFF, 0xFF, 0x7F}).str("a").u8(0)), kV5).ok());
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).props(Bytes{0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}).str("a").u8(0)), kV5)
                .error.reason,
            ReasonCode::kMalformedPacket);  // five-byte varint
  EXPECT_EQ(Sub(Packet(0x82, Bytes().u16(1).props(Bytes().u8(0x1F).str("r")).str("a").u8(0)), kV5).error.reason,
            ReasonCode::kProtocolError);  // reason string not allowed on SUBSCRIBE
}

TEST(DecodeSubscribe, TruncatedAtEveryLength) {
  const Bytes body = Bytes().u16(1).props(Bytes{0x0B, 0x05}).str("a/b").u8(1).str("c").u8(2);
  const WirePacket whole = Packet(0x82, body);
  ASSERT_TRUE(Sub(whole, kV5).ok());
  for (size_t n = 0; n < body.size(); ++n) {
    // Cutting exactly after a complete subscription leaves a valid, shorter packet.
    if (n == 11) continue;
    EXPECT_FALSE(Sub(Truncated(whole, n), kV5).ok()) << n;
  }
}

// ---- UNSUBSCRIBE ----

Decoded<UnsubscribePacket> Unsub(const WirePacket& w, ProtocolVersion v) {
  return DecodeUnsubscribe(w.frame, w.body(), v);
}

TEST(DecodeUnsubscribe, V311AndV5) {
  const auto d = Unsub(Packet(0xA2, Bytes().u16(3).str("a/b").str("c/+")), kV311);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.filters, (std::vector<std::string_view>{"a/b", "c/+"}));
  const auto v5 = Unsub(Packet(0xA2, Bytes().u16(3).props(Bytes().u8(0x26).str("k").str("v")).str("#")), kV5);
  ASSERT_TRUE(v5.ok()) << v5.error.detail;
  EXPECT_EQ(v5.packet.properties.user_properties.size(), 1u);
}

TEST(DecodeUnsubscribe, Rejections_MQTT_3_10) {
  EXPECT_EQ(Unsub(Packet(0xA0, Bytes().u16(3).str("a")), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Unsub(Packet(0xA2, Bytes().u16(0).str("a")), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Unsub(Packet(0xA2, Bytes().u16(3)), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Unsub(Packet(0xA2, Bytes().u16(3).str("a/#/b")), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Unsub(Packet(0xA2, Bytes().u16(3).props(Bytes{0x0B, 1}).str("a")), kV5).error.reason,
            ReasonCode::kProtocolError);
  const WirePacket whole = Packet(0xA2, Bytes().u16(3).str("abc"));
  for (size_t n = 0; n < 7; ++n) EXPECT_FALSE(Unsub(Truncated(whole, n), kV311).ok()) << n;
}

// ---- SUBACK / UNSUBACK (client side) ----

Decoded<SubackPacket> Suback(const WirePacket& w, ProtocolVersion v) { return DecodeSuback(w.frame, w.body(), v); }

TEST(DecodeSuback, V311) {
  const auto d = Suback(Packet(0x90, Bytes{0, 7, 0x00, 0x01, 0x02, 0x80}), kV311);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.reasons, (std::vector<ReasonCode>{ReasonCode::kSuccess, ReasonCode::kGrantedQos1,
                                                       ReasonCode::kGrantedQos2, ReasonCode::kUnspecifiedError}));
  EXPECT_EQ(Suback(Packet(0x90, Bytes{0, 7, 0x03}), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Suback(Packet(0x90, Bytes{0, 7, 0x8F}), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Suback(Packet(0x90, Bytes{0, 7}), kV311).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Suback(Packet(0x92, Bytes{0, 7, 0}), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeSuback, V311UnsubackHasNoPayload) {
  const auto d = Suback(Packet(0xB0, Bytes{0, 7}), kV311);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.packet.type, PacketType::kUnsuback);
  EXPECT_TRUE(d.packet.reasons.empty());
  EXPECT_EQ(Suback(Packet(0xB0, Bytes{0, 7, 0}), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeSuback, V5ReasonSets) {
  EXPECT_TRUE(Suback(Packet(0x90, Bytes{0, 7, 0, 0x8F, 0x9E, 0xA1, 0xA2}), kV5).ok());
  EXPECT_EQ(Suback(Packet(0x90, Bytes{0, 7, 0, 0x11}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_TRUE(Suback(Packet(0xB0, Bytes{0, 7, 0, 0x00, 0x11}), kV5).ok());
  EXPECT_EQ(Suback(Packet(0xB0, Bytes{0, 7, 0, 0x01}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Suback(Packet(0xB0, Bytes{0, 7, 0}), kV5).error.reason, ReasonCode::kProtocolError);
}

// ---- DISCONNECT ----

Decoded<DisconnectPacket> Disc(const WirePacket& w, ProtocolVersion v) {
  return DecodeDisconnect(w.frame, w.body(), v);
}

TEST(DecodeDisconnect, V311) {
  EXPECT_TRUE(Disc(Packet(0xE0, Bytes{}), kV311).ok());
  EXPECT_EQ(Disc(Packet(0xE0, Bytes{0}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Disc(Packet(0xE1, Bytes{}), kV311).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeDisconnect, V5Forms_3_14_2) {
  const auto empty = Disc(Packet(0xE0, Bytes{}), kV5);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.packet.reason, ReasonCode::kSuccess);
  const auto will = Disc(Packet(0xE0, Bytes{0x04}), kV5);
  ASSERT_TRUE(will.ok());
  EXPECT_EQ(will.packet.reason, ReasonCode::kDisconnectWithWill);
  const auto props = Disc(Packet(0xE0, Bytes().u8(0).props(Bytes{0x11, 0, 0, 0, 30})), kV5);
  ASSERT_TRUE(props.ok()) << props.error.detail;
  EXPECT_EQ(props.packet.properties.session_expiry_interval, 30u);
}

TEST(DecodeDisconnect, V5Rejections) {
  EXPECT_EQ(Disc(Packet(0xE0, Bytes{0x01}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Disc(Packet(0xE0, Bytes().u8(0).props(Bytes{0x18, 0, 0, 0, 1})), kV5).error.reason,
            ReasonCode::kProtocolError);
  EXPECT_EQ(Disc(Packet(0xE0, Bytes{0x00, 0x05, 0x11}), kV5).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Disc(Packet(0xE2, Bytes{}), kV5).error.reason, ReasonCode::kMalformedPacket);
}

// ---- AUTH ----

Decoded<AuthPacket> Auth(const WirePacket& w, ProtocolVersion v) { return DecodeAuth(w.frame, w.body(), v); }

TEST(DecodeAuth, V5) {
  const auto empty = Auth(Packet(0xF0, Bytes{}), kV5);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.packet.reason, ReasonCode::kSuccess);
  const auto cont = Auth(Packet(0xF0, Bytes().u8(0x18).props(Bytes().u8(0x15).str("M").u8(0x16).str("d"))), kV5);
  ASSERT_TRUE(cont.ok()) << cont.error.detail;
  EXPECT_EQ(cont.packet.reason, ReasonCode::kContinueAuthentication);
  EXPECT_EQ(cont.packet.properties.authentication_method, "M");
  EXPECT_EQ(cont.packet.properties.authentication_data, "d");
}

TEST(DecodeAuth, Rejections_3_15) {
  EXPECT_EQ(Auth(Packet(0xF0, Bytes{}), kV311).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Auth(Packet(0xF1, Bytes{}), kV5).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(Auth(Packet(0xF0, Bytes{0x87, 0x00}), kV5).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(Auth(Packet(0xF0, Bytes().u8(0x18).props(Bytes().u8(0x16).str("d"))), kV5).error.reason,
            ReasonCode::kProtocolError);  // data without method
  EXPECT_EQ(Auth(Packet(0xF0, Bytes().u8(0x18).props(Bytes{0x11, 0, 0, 0, 1})), kV5).error.reason,
            ReasonCode::kProtocolError);
}

// ---- PINGREQ ----

TEST(DecodePingreq, FlagsAndBody) {
  const WirePacket ok = Packet(0xC0, Bytes{});
  EXPECT_TRUE(DecodePingreq(ok.frame, ok.body()).ok());
  const WirePacket flags = Packet(0xC1, Bytes{});
  EXPECT_EQ(DecodePingreq(flags.frame, flags.body()).reason, ReasonCode::kMalformedPacket);
  const WirePacket body = Packet(0xC0, Bytes{0});
  EXPECT_EQ(DecodePingreq(body.frame, body.body()).reason, ReasonCode::kMalformedPacket);
}

// ---- Robustness: mutated valid packets never crash a decoder, and whatever decodes re-encodes into
// bytes that decode again. Run under -Db_sanitize=address,undefined to catch out-of-bounds reads. ----

std::vector<std::string> SeedPackets(ProtocolVersion v) {
  std::vector<std::string> seeds(8);
  ConnectPacket connect{.version = v, .client_id = "c"};
  connect.will = Will{.topic = "w", .payload = "p", .qos = 1};
  connect.username = "u";
  connect.password = "p";
  if (IsV5(v)) {
    connect.properties.receive_maximum = 5;
    connect.will->properties.content_type = "t";
  }
  EncodeConnect(connect, seeds[0]);
  PublishPacket publish{.qos = 2, .topic = "a/b", .packet_id = 3, .payload = "data"};
  if (IsV5(v)) publish.properties.user_properties = {{"k", "v"}};
  EncodePublish(publish, v, seeds[1]);
  SubscribePacket subscribe{.packet_id = 1, .subscriptions = {{"a/+", {.max_qos = 1}}, {"#", {}}}};
  EncodeSubscribe(subscribe, v, seeds[2]);
  EncodeUnsubscribe(UnsubscribePacket{.packet_id = 1, .filters = {"a", "b"}}, v, seeds[3]);
  AckPacket ack{.type = PacketType::kPubrel, .packet_id = 9};
  if (IsV5(v)) ack.properties.reason_string = "r";
  EncodeAck(ack, v, seeds[4]);
  DisconnectPacket disconnect{.reason = ReasonCode::kDisconnectWithWill};
  disconnect.properties.session_expiry_interval = 1;
  EncodeDisconnect(disconnect, v, seeds[5]);
  AuthPacket auth{.reason = ReasonCode::kContinueAuthentication};
  auth.properties.authentication_method = "m";
  EncodeAuth(auth, seeds[6]);
  EncodeSuback(SubackPacket{.packet_id = 2, .reasons = {ReasonCode::kGrantedQos1}}, v, seeds[7]);
  return seeds;
}

// Whether `decoded` succeeded; if so, `encode` re-encodes its packet.
template <typename DecodedPacket, typename Encode>
bool ReencodeIfDecoded(const DecodedPacket& decoded, Encode encode) {
  if (decoded.ok()) encode(decoded.packet);
  return decoded.ok();
}

// Decodes with the decoder for the frame's type; on success re-encodes into `out`.
bool DecodeAndReencode(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion v, std::string& out) {
  switch (frame.type) {
    case PacketType::kConnect:
      return ReencodeIfDecoded(DecodeConnect(frame, body), [&](const auto& p) { EncodeConnect(p, out); });
    case PacketType::kPublish:
      return ReencodeIfDecoded(DecodePublish(frame, body, v), [&](const auto& p) { EncodePublish(p, v, out); });
    case PacketType::kSubscribe:
      return ReencodeIfDecoded(DecodeSubscribe(frame, body, v), [&](const auto& p) { EncodeSubscribe(p, v, out); });
    case PacketType::kUnsubscribe:
      return ReencodeIfDecoded(DecodeUnsubscribe(frame, body, v),
                               [&](const auto& p) { EncodeUnsubscribe(p, v, out); });
    case PacketType::kPuback: case PacketType::kPubrec: case PacketType::kPubrel: case PacketType::kPubcomp:
      return ReencodeIfDecoded(DecodeAck(frame, body, v), [&](const auto& p) { EncodeAck(p, v, out); });
    case PacketType::kDisconnect:
      return ReencodeIfDecoded(DecodeDisconnect(frame, body, v), [&](const auto& p) { EncodeDisconnect(p, v, out); });
    case PacketType::kAuth:
      return ReencodeIfDecoded(DecodeAuth(frame, body, v), [&](const auto& p) { EncodeAuth(p, out); });
    case PacketType::kSuback: case PacketType::kUnsuback:
      return ReencodeIfDecoded(DecodeSuback(frame, body, v), [&](const auto& p) { EncodeSuback(p, v, out); });
    case PacketType::kConnack:
      return ReencodeIfDecoded(DecodeConnack(frame, body, v), [&](const auto& p) { EncodeConnack(p, v, out); });
    default:
      return DecodePingreq(frame, body).ok() && EncodePingreq(out) > 0;
  }
}

TEST(DecoderRobustness, MutatedPacketsDecodeOrFailCleanly) {
  std::mt19937 rng(12345);
  int decoded = 0;
  for (ProtocolVersion v : {kV311, kV5}) {
    for (const std::string& seed : SeedPackets(v)) {
      for (int round = 0; round < 1500; ++round) {
        std::vector<uint8_t> bytes(seed.begin(), seed.end());
        const int mutations = 1 + static_cast<int>(rng() % 3);
        for (int m = 0; m < mutations; ++m) bytes[1 + rng() % (bytes.size() - 1)] = static_cast<uint8_t>(rng());
        const FrameResult frame = ParseFrame(bytes, 1u << 20);
        if (frame.status != FrameStatus::kOk) continue;
        const auto body = std::span<const uint8_t>(bytes).subspan(frame.frame.header_size, frame.frame.remaining_length);
        std::string again;
        if (!DecodeAndReencode(frame.frame, body, v, again)) continue;
        ++decoded;
        const testing::WirePacket reparsed = testing::ParseWhole(again);
        std::string third;
        EXPECT_TRUE(DecodeAndReencode(reparsed.frame, reparsed.body(), v, third)) << round;
        EXPECT_EQ(third, again);
      }
    }
  }
  EXPECT_GT(decoded, 100);  // the mutations must exercise the success paths too
}

}  // namespace
}  // namespace ringmq::testing
