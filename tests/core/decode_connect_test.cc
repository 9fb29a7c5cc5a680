// DecodeConnect and DecodeConnack: spec byte vectors and one rejection test per rule.
#include <gtest/gtest.h>

#include "core/decoder.h"
#include "tests/core/codec_test_util.h"

// In ringmq::testing, so the helpers of codec_test_util.h need no using-declarations.
namespace ringmq::testing {
namespace {

constexpr uint8_t kConnect = 0x10;

Decoded<ConnectPacket> Decode(const WirePacket& w) { return DecodeConnect(w.frame, w.body()); }

// MQTT 3.1.1 section 3.1.2.10 example variable header (flags 0xCE, keep alive 10) with a payload.
Bytes SpecConnect311() {
  Bytes b;
  b.u16(4).raw("MQTT").u8(4).u8(0xCE).u16(10);
  b.str("client").str("will/t").str("gone").str("user").str("secret");
  return b;
}

// MQTT 5.0 section 3.1.2.11 example variable header (flags 0xCE, keep alive 10, session expiry 10).
Bytes SpecConnect5() {
  Bytes b;
  b.u16(4).raw("MQTT").u8(5).u8(0xCE).u16(10).u8(5).u8(0x11).u32(10);
  b.str("client").u8(0).str("will/t").str("gone").str("user").str("secret");
  return b;
}

Bytes Connect5(Bytes props, uint8_t flags = 0x02, Bytes payload = Bytes().str("c")) {
  Bytes b;
  b.str("MQTT").u8(5).u8(flags).u16(60).props(props).raw(payload);
  return b;
}

Bytes Connect311(uint8_t flags, Bytes payload) {
  Bytes b;
  b.str("MQTT").u8(4).u8(flags).u16(60).raw(payload);
  return b;
}

TEST(DecodeConnect, V311SpecExample) {
  const auto d = Decode(Packet(kConnect, SpecConnect311()));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  const ConnectPacket& p = d.packet;
  EXPECT_EQ(p.version, ProtocolVersion::kV311);
  EXPECT_TRUE(p.clean_start);
  EXPECT_EQ(p.keep_alive, 10);
  EXPECT_EQ(p.client_id, "client");
  ASSERT_TRUE(p.will.has_value());
  EXPECT_EQ(p.will->topic, "will/t");
  EXPECT_EQ(p.will->payload, "gone");
  EXPECT_EQ(p.will->qos, 1);
  EXPECT_FALSE(p.will->retain);
  EXPECT_EQ(p.username, "user");
  EXPECT_EQ(p.password, "secret");
}

TEST(DecodeConnect, V5SpecExample) {
  const auto d = Decode(Packet(kConnect, SpecConnect5()));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.version, ProtocolVersion::kV5);
  EXPECT_EQ(d.packet.properties.session_expiry_interval, 10u);
  EXPECT_EQ(d.packet.will->topic, "will/t");
  EXPECT_EQ(d.packet.password, "secret");
}

TEST(DecodeConnect, V31UsesMQIsdp) {
  Bytes b;
  b.str("MQIsdp").u8(3).u8(0x02).u16(30).str("legacy");
  const auto d = Decode(Packet(kConnect, b));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.version, ProtocolVersion::kV31);
  EXPECT_EQ(d.packet.client_id, "legacy");
}

TEST(DecodeConnect, EmptyClientIdIsLeftToTheBroker) {
  const auto d = Decode(Packet(kConnect, Connect311(0x02, Bytes().str(""))));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.packet.client_id, "");
}

TEST(DecodeConnect, UnsupportedLevelReportsAskedVersion_MQTT_3_1_2_2) {
  Bytes b;
  b.str("MQTT").u8(6).u8(0x02).u16(0).str("c");
  const auto d = Decode(Packet(kConnect, b));
  EXPECT_EQ(d.error.reason, ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(static_cast<int>(d.packet.version), 6);
}

TEST(DecodeConnect, NameAndLevelMustMatch) {
  Bytes mqtt3;
  mqtt3.str("MQTT").u8(3).u8(0x02).u16(0).str("c");
  EXPECT_EQ(Decode(Packet(kConnect, mqtt3)).error.reason, ReasonCode::kUnsupportedProtocolVersion);
  Bytes mqisdp4;
  mqisdp4.str("MQIsdp").u8(4).u8(0x02).u16(0).str("c");
  const auto d = Decode(Packet(kConnect, mqisdp4));
  EXPECT_EQ(d.error.reason, ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(d.packet.version, ProtocolVersion::kV311);
}

TEST(DecodeConnect, UnknownProtocolNameIsMalformed_MQTT_3_1_2_1) {
  Bytes b;
  b.str("MQTX").u8(4).u8(0x02).u16(0).str("c");
  EXPECT_EQ(Decode(Packet(kConnect, b)).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, FixedHeaderFlagsMustBeZero) {
  EXPECT_EQ(Decode(Packet(0x11, SpecConnect311())).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, ReservedFlagIsMalformed_MQTT_3_1_2_3) {
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x03, Bytes().str("c")))).error.reason,
            ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, WillQos3IsMalformed_MQTT_3_1_2_14) {
  const Bytes will = Bytes().str("c").str("w").str("p");
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x1E, will))).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, WillQosOrRetainWithoutWillFlag_MQTT_3_1_2_13_and_15) {
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x0A, Bytes().str("c")))).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x22, Bytes().str("c")))).error.reason,
            ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, WillRetainAndQos2) {
  const auto d = Decode(Packet(kConnect, Connect311(0x36, Bytes().str("c").str("w").str("p"))));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.will->qos, 2);
  EXPECT_TRUE(d.packet.will->retain);
}

TEST(DecodeConnect, PasswordWithoutUserName) {
  // Malformed in 3.1.1 [MQTT-3.1.2-22]; allowed in 5.0 (3.1.2.9).
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x42, Bytes().str("c").str("pw")))).error.reason,
            ReasonCode::kMalformedPacket);
  const auto d = Decode(Packet(kConnect, Connect5(Bytes(), 0x42, Bytes().str("c").str("pw"))));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_FALSE(d.packet.username.has_value());
  EXPECT_EQ(d.packet.password, "pw");
}

TEST(DecodeConnect, BadUtf8InStringsIsMalformed) {
  for (std::string_view bad : {std::string_view("\xC0\x80", 2), std::string_view("\xED\xA0\x80", 3),
                               std::string_view("a\0b", 3), std::string_view("\xFF", 1)}) {
    EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x02, Bytes().str(bad)))).error.reason,
              ReasonCode::kMalformedPacket);  // client id
    EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x82, Bytes().str("c").str(bad)))).error.reason,
              ReasonCode::kMalformedPacket);  // user name
    EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x06, Bytes().str("c").str(bad).str("p")))).error.reason,
              ReasonCode::kMalformedPacket);  // will topic
  }
}

TEST(DecodeConnect, PasswordAndWillPayloadAreBinary) {
  const Bytes payload = Bytes().str("c").str("w").str(std::string_view("\xFF\x00", 2)).str("u").str("\xFF");
  const auto d = Decode(Packet(kConnect, Connect311(0xC6, payload)));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.will->payload, std::string_view("\xFF\x00", 2));
  EXPECT_EQ(d.packet.password, "\xFF");
}

TEST(DecodeConnect, WillTopicMustBeATopicName) {
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x06, Bytes().str("c").str("w/#").str("p")))).error.reason,
            ReasonCode::kTopicNameInvalid);
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x06, Bytes().str("c").str("").str("p")))).error.reason,
            ReasonCode::kTopicNameInvalid);
}

TEST(DecodeConnect, V5WillPropertiesAndPayloadFormat) {
  Bytes will_ok = Bytes().str("c").props(Bytes{0x18, 0, 0, 0, 5, 0x01, 0x01}).str("w").str("text");
  const auto d = Decode(Packet(kConnect, Connect5(Bytes(), 0x06, will_ok)));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.will->properties.will_delay_interval, 5u);
  Bytes will_bad = Bytes().str("c").props(Bytes{0x01, 0x01}).str("w").str("\xFF");
  EXPECT_EQ(Decode(Packet(kConnect, Connect5(Bytes(), 0x06, will_bad))).error.reason,
            ReasonCode::kPayloadFormatInvalid);
}

TEST(DecodeConnect, V5WillPropertyNotAllowed_MQTT_3_1_3_2) {
  // Session Expiry Interval belongs in CONNECT properties, not will properties.
  Bytes will = Bytes().str("c").props(Bytes{0x11, 0, 0, 0, 1}).str("w").str("p");
  EXPECT_EQ(Decode(Packet(kConnect, Connect5(Bytes(), 0x06, will))).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodeConnect, V5PropertyValueRules_3_1_2_11) {
  struct Case {
    const char* name;
    Bytes props;
  };
  const Case cases[] = {
      {"receive maximum 0", Bytes{0x21, 0x00, 0x00}},
      {"maximum packet size 0", Bytes{0x27, 0, 0, 0, 0}},
      {"request problem information 2", Bytes{0x17, 0x02}},
      {"request response information 2", Bytes{0x19, 0x02}},
      {"authentication data without method", Bytes().u8(0x16).str("d")},
      {"duplicate session expiry", Bytes{0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2}},
      {"topic alias not allowed", Bytes{0x23, 0x00, 0x01}},
      {"will delay not allowed", Bytes{0x18, 0, 0, 0, 1}},
      {"assigned client id not allowed", Bytes().u8(0x12).str("x")},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Decode(Packet(kConnect, Connect5(c.props))).error.reason, ReasonCode::kProtocolError) << c.name;
  }
}

TEST(DecodeConnect, V5AuthenticationMethodAndData) {
  const auto d = Decode(Packet(kConnect, Connect5(Bytes().u8(0x15).str("SCRAM").u8(0x16).str("x"))));
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.properties.authentication_method, "SCRAM");
  EXPECT_EQ(d.packet.properties.authentication_data, "x");
}

TEST(DecodeConnect, TrailingBytesAreMalformed) {
  EXPECT_EQ(Decode(Packet(kConnect, Connect311(0x02, Bytes().str("c").u8(0)))).error.reason,
            ReasonCode::kMalformedPacket);
}

TEST(DecodeConnect, TruncatedAtEveryLength) {
  for (const Bytes& body : {SpecConnect311(), SpecConnect5()}) {
    const WirePacket whole = Packet(kConnect, body);
    for (size_t n = 0; n < body.size(); ++n) {
      const auto d = Decode(Truncated(whole, n));
      EXPECT_FALSE(d.ok()) << n;
      EXPECT_NE(d.error.reason, ReasonCode::kSuccess);
    }
  }
}

// ---- CONNACK (client side) ----

Decoded<ConnackPacket> DecodeCa(const WirePacket& w, ProtocolVersion v) { return DecodeConnack(w.frame, w.body(), v); }

TEST(DecodeConnack, V311) {
  const auto d = DecodeCa(Packet(0x20, Bytes{0x01, 0x00}), ProtocolVersion::kV311);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.packet.session_present);
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x00, 0x05}), ProtocolVersion::kV311).packet.reason,
            ReasonCode::kNotAuthorized);
}

TEST(DecodeConnack, V311Rejections) {
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x00, 0x06}), ProtocolVersion::kV311).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x02, 0x00}), ProtocolVersion::kV311).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeCa(Packet(0x21, Bytes{0x00, 0x00}), ProtocolVersion::kV311).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x00, 0x00, 0x00}), ProtocolVersion::kV311).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x01, 0x02}), ProtocolVersion::kV311).error.reason,
            ReasonCode::kProtocolError);  // session present with an error [MQTT-3.2.2-4]
}

TEST(DecodeConnack, V5) {
  const auto d = DecodeCa(Packet(0x20, Bytes{0x00, 0x00, 0x03, 0x21, 0x00, 0x0A}), ProtocolVersion::kV5);
  ASSERT_TRUE(d.ok()) << d.error.detail;
  EXPECT_EQ(d.packet.properties.receive_maximum, 10);
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x00, 0x10, 0x00}), ProtocolVersion::kV5).error.reason,
            ReasonCode::kProtocolError);  // 0x10 is not a CONNACK reason
  EXPECT_EQ(DecodeCa(Packet(0x20, Bytes{0x00, 0x00, 0x02, 0x17, 0x01}), ProtocolVersion::kV5).error.reason,
            ReasonCode::kProtocolError);  // request problem information is CONNECT-only
  const WirePacket whole = Packet(0x20, Bytes{0x00, 0x00, 0x03, 0x21, 0x00, 0x0A});
  for (size_t n = 0; n < 6; ++n) EXPECT_FALSE(DecodeCa(Truncated(whole, n), ProtocolVersion::kV5).ok()) << n;
}

}  // namespace
}  // namespace ringmq::testing
