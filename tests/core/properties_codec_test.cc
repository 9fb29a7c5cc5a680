#include "core/properties_codec.h"

#include <gtest/gtest.h>

#include "tests/core/codec_test_util.h"

namespace ringmq {
namespace {

using testing::Bytes;
using S = PropertyScope;

struct Result {
  DecodeError error;
  Properties props;
};

// Decodes `props` as a length-prefixed block in `scope`; the whole input must be consumed on success.
Result DecodeBlock(const Bytes& props, PropertyScope scope) {
  Bytes block;
  block.props(props);
  Result result;
  WireReader in(testing::KeepAlive(block.vec()));
  result.error = DecodeProperties(in, scope, result.props);
  if (result.error.ok()) {
    EXPECT_TRUE(in.empty());
  }
  return result;
}

TEST(PropertyTable, MatchesSpecSection2_2_2_2) {
  EXPECT_TRUE(IsPropertyAllowed(0x01, S::kPublish));
  EXPECT_TRUE(IsPropertyAllowed(0x01, S::kWill));
  EXPECT_FALSE(IsPropertyAllowed(0x01, S::kConnect));
  EXPECT_FALSE(IsPropertyAllowed(0x0B, S::kPublish));
  EXPECT_TRUE(IsPropertyAllowed(0x0B, S::kPublishFromServer));
  EXPECT_TRUE(IsPropertyAllowed(0x0B, S::kSubscribe));
  EXPECT_TRUE(IsPropertyAllowed(0x11, S::kDisconnect));
  EXPECT_FALSE(IsPropertyAllowed(0x11, S::kWill));
  EXPECT_TRUE(IsPropertyAllowed(0x18, S::kWill));
  EXPECT_FALSE(IsPropertyAllowed(0x18, S::kConnect));
  EXPECT_TRUE(IsPropertyAllowed(0x1C, S::kDisconnect));
  EXPECT_FALSE(IsPropertyAllowed(0x1F, S::kConnect));
  EXPECT_FALSE(IsPropertyAllowed(0x1F, S::kPublish));
  EXPECT_TRUE(IsPropertyAllowed(0x1F, S::kAck));
  EXPECT_FALSE(IsPropertyAllowed(0x1F, S::kUnsubscribe));
  EXPECT_TRUE(IsPropertyAllowed(0x23, S::kPublish));
  EXPECT_FALSE(IsPropertyAllowed(0x23, S::kWill));
  EXPECT_TRUE(IsPropertyAllowed(0x15, S::kAuth));
  for (PropertyScope scope : {S::kConnect, S::kConnack, S::kPublish, S::kPublishFromServer, S::kWill, S::kAck,
                              S::kSubscribe, S::kSuback, S::kUnsubscribe, S::kUnsuback, S::kDisconnect, S::kAuth}) {
    EXPECT_TRUE(IsPropertyAllowed(0x26, scope));
    EXPECT_FALSE(IsPropertyAllowed(0x00, scope));
    EXPECT_FALSE(IsPropertyAllowed(0x04, scope));
  }
}

TEST(DecodeProperties, EmptyBlock) {
  const Result r = DecodeBlock(Bytes(), S::kPublish);
  EXPECT_TRUE(r.error.ok());
  EXPECT_FALSE(r.props.topic_alias.has_value());
}

TEST(DecodeProperties, AllConnackPropertyTypes) {
  Bytes p;
  p.u8(0x11).u32(100).u8(0x12).str("id").u8(0x13).u16(20).u8(0x15).str("m").u8(0x16).str("d");
  p.u8(0x1A).str("ri").u8(0x1C).str("sr").u8(0x1F).str("rs").u8(0x21).u16(5).u8(0x22).u16(6);
  p.u8(0x24).u8(1).u8(0x25).u8(0).u8(0x26).str("k").str("v").u8(0x27).u32(1000);
  p.u8(0x28).u8(1).u8(0x29).u8(0).u8(0x2A).u8(1);
  const Result r = DecodeBlock(p, S::kConnack);
  ASSERT_TRUE(r.error.ok()) << r.error.detail;
  EXPECT_EQ(r.props.session_expiry_interval, 100u);
  EXPECT_EQ(r.props.assigned_client_identifier, "id");
  EXPECT_EQ(r.props.server_keep_alive, 20);
  EXPECT_EQ(r.props.authentication_method, "m");
  EXPECT_EQ(r.props.authentication_data, "d");
  EXPECT_EQ(r.props.response_information, "ri");
  EXPECT_EQ(r.props.server_reference, "sr");
  EXPECT_EQ(r.props.reason_string, "rs");
  EXPECT_EQ(r.props.receive_maximum, 5);
  EXPECT_EQ(r.props.topic_alias_maximum, 6);
  EXPECT_EQ(r.props.maximum_qos, 1);
  EXPECT_EQ(r.props.retain_available, 0);
  EXPECT_EQ(r.props.maximum_packet_size, 1000u);
  EXPECT_EQ(r.props.wildcard_subscription_available, 1);
  EXPECT_EQ(r.props.subscription_identifier_available, 0);
  EXPECT_EQ(r.props.shared_subscription_available, 1);
  ASSERT_EQ(r.props.user_properties.size(), 1u);
  EXPECT_EQ(r.props.user_properties[0].key, "k");

  // Sizing and encoding reproduce the same bytes (input was already in identifier order).
  EXPECT_EQ(PropertiesBodySize(r.props), p.size());
  std::string out;
  AppendPropertiesBody(r.props, out);
  EXPECT_EQ(out, p.string());
}

TEST(DecodeProperties, UnknownIdentifierIsMalformed) {
  for (uint8_t id : {0x00, 0x04, 0x0A, 0x2B, 0x7F}) {
    EXPECT_EQ(DecodeBlock(Bytes{id, 0x00}, S::kPublish).error.reason, ReasonCode::kMalformedPacket) << int{id};
  }
  EXPECT_EQ(DecodeBlock(Bytes{0x80, 0x01, 0x00}, S::kPublish).error.reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeProperties, NotAllowedIsProtocolError) {
  EXPECT_EQ(DecodeBlock(Bytes{0x24, 0x01}, S::kConnect).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x17, 0x01}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x21, 0x00, 0x01}, S::kAck).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x1F).str("r"), S::kUnsubscribe).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodeProperties, DuplicatesForbiddenExceptUserPropertyAndServerSubscriptionIds) {
  struct Case {
    uint8_t id;
    Bytes value;
    PropertyScope scope;
  };
  const Case cases[] = {
      {0x01, Bytes{0}, S::kPublish},          {0x02, Bytes{0, 0, 0, 1}, S::kPublish},
      {0x03, Bytes().str("a"), S::kPublish},  {0x08, Bytes().str("a"), S::kPublish},
      {0x09, Bytes().str("a"), S::kPublish},  {0x0B, Bytes{1}, S::kSubscribe},
      {0x11, Bytes{0, 0, 0, 1}, S::kConnect}, {0x12, Bytes().str("a"), S::kConnack},
      {0x13, Bytes{0, 1}, S::kConnack},       {0x15, Bytes().str("a"), S::kAuth},
      {0x16, Bytes().str("a"), S::kAuth},     {0x17, Bytes{1}, S::kConnect},
      {0x18, Bytes{0, 0, 0, 1}, S::kWill},    {0x19, Bytes{1}, S::kConnect},
      {0x1A, Bytes().str("a"), S::kConnack},  {0x1C, Bytes().str("a"), S::kDisconnect},
      {0x1F, Bytes().str("a"), S::kSuback},   {0x21, Bytes{0, 1}, S::kConnect},
      {0x22, Bytes{0, 1}, S::kConnect},       {0x23, Bytes{0, 1}, S::kPublish},
      {0x24, Bytes{1}, S::kConnack},          {0x25, Bytes{1}, S::kConnack},
      {0x27, Bytes{0, 0, 0, 1}, S::kConnect}, {0x28, Bytes{1}, S::kConnack},
      {0x29, Bytes{1}, S::kConnack},          {0x2A, Bytes{1}, S::kConnack},
  };
  for (const Case& c : cases) {
    Bytes once;
    once.u8(c.id).raw(c.value);
    if (c.id == 0x16) once = Bytes().u8(0x15).str("m").raw(once);  // data needs a method
    EXPECT_TRUE(DecodeBlock(once, c.scope).error.ok()) << int{c.id};
    Bytes twice = once;
    twice.u8(c.id).raw(c.value);
    EXPECT_EQ(DecodeBlock(twice, c.scope).error.reason, ReasonCode::kProtocolError) << int{c.id};
  }
  const Result users = DecodeBlock(Bytes().u8(0x26).str("a").str("1").u8(0x26).str("a").str("2"), S::kAck);
  ASSERT_TRUE(users.error.ok());
  EXPECT_EQ(users.props.user_properties.size(), 2u);
  const Result ids = DecodeBlock(Bytes{0x0B, 1, 0x0B, 2}, S::kPublishFromServer);
  ASSERT_TRUE(ids.error.ok());
  EXPECT_EQ(ids.props.subscription_identifiers.size(), 2u);
}

TEST(DecodeProperties, ValueRules) {
  EXPECT_EQ(DecodeBlock(Bytes{0x23, 0, 0}, S::kPublish).error.reason, ReasonCode::kTopicAliasInvalid);
  EXPECT_EQ(DecodeBlock(Bytes{0x21, 0, 0}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x27, 0, 0, 0, 0}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x24, 2}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x25, 2}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x28, 2}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x29, 2}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x2A, 2}, S::kConnack).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes{0x0B, 0}, S::kSubscribe).error.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x16).str("d"), S::kConnack).error.reason, ReasonCode::kProtocolError);
}

TEST(DecodeProperties, BadStringsAreMalformed) {
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x03).str("\xC0\x80"), S::kPublish).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x1F).str("\xED\xA0\x80"), S::kAck).error.reason, ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x26).str(std::string_view("\0", 1)).str("v"), S::kAck).error.reason,
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(DecodeBlock(Bytes().u8(0x26).str("k").str("\xFF"), S::kAck).error.reason, ReasonCode::kMalformedPacket);
  // Binary data is not UTF-8 checked.
  EXPECT_TRUE(DecodeBlock(Bytes().u8(0x09).str("\xFF"), S::kPublish).error.ok());
}

TEST(DecodeProperties, TruncationIsMalformed) {
  Bytes p;
  p.u8(0x02).u32(1).u8(0x03).str("ct").u8(0x26).str("k").str("v").u8(0x23).u16(1);
  for (size_t n = 1; n < p.size(); ++n) {
    Bytes cut;
    cut.raw(std::string_view(reinterpret_cast<const char*>(p.vec().data()), n));
    const Result r = DecodeBlock(cut, S::kPublish);
    // Some prefixes end on a property boundary and are valid blocks on their own.
    if (n == 5 || n == 10 || n == 17) {
      EXPECT_TRUE(r.error.ok()) << n;
    } else {
      EXPECT_EQ(r.error.reason, ReasonCode::kMalformedPacket) << n;
    }
  }
  // A block length longer than what follows.
  const std::vector<uint8_t> overlong = {0x05, 0x23, 0x00, 0x01};
  WireReader in(overlong);
  Properties props;
  EXPECT_EQ(DecodeProperties(in, S::kPublish, props).reason, ReasonCode::kMalformedPacket);
  const std::vector<uint8_t> no_length = {};
  WireReader empty(no_length);
  EXPECT_EQ(DecodeProperties(empty, S::kPublish, props).reason, ReasonCode::kMalformedPacket);
}

TEST(EncodeProperties, IdentifierOrderAndSizes) {
  Properties p;
  p.user_properties = {{"a", "b"}};
  p.topic_alias = 2;
  p.subscription_identifiers = {127, 128};
  p.payload_format_indicator = 0;
  std::string out;
  AppendPropertiesBody(p, out);
  EXPECT_EQ(out, std::string("\x01\x00\x0B\x7F\x0B\x80\x01\x23\x00\x02\x26\x00\x01" "a\x00\x01" "b", 17));
  EXPECT_EQ(PropertiesBodySize(p), out.size());
}

}  // namespace
}  // namespace ringmq
