// Which properties are forwarded to subscribers, and their exact bytes.
#include "core/passthrough_properties.h"

#include <gtest/gtest.h>

#include "tests/core/codec_test_util.h"

namespace ringmq {
namespace {

using testing::Bytes;

TEST(PassthroughProperties, NoneWhenOnlyPerHopPropertiesArePresent) {
  Properties props;
  props.topic_alias = 3;
  props.message_expiry_interval = 10;
  EXPECT_FALSE(HasPassthroughProperties(props));
  std::string out;
  AppendPassthroughProperties(props, out);
  EXPECT_EQ(out, "");
}

TEST(PassthroughProperties, EncodesForwardedPropertiesInIdentifierOrder) {
  Properties props;
  props.payload_format_indicator = 1;
  props.message_expiry_interval = 10;  // not forwarded: re-computed per delivery
  props.content_type = "ct";
  props.response_topic = "r";
  props.correlation_data = std::string_view("\0\1", 2);
  props.topic_alias = 2;  // not forwarded: belongs to one connection
  props.user_properties = {{"a", "b"}, {"a", "c"}};
  ASSERT_TRUE(HasPassthroughProperties(props));
  std::string out = "x";
  AppendPassthroughProperties(props, out);
  Bytes expected;
  expected.raw("x").u8(0x01).u8(1).u8(0x03).str("ct").u8(0x08).str("r").u8(0x09).str(std::string_view("\0\1", 2));
  expected.u8(0x26).str("a").str("b").u8(0x26).str("a").str("c");
  EXPECT_EQ(out, expected.string());
}

TEST(PassthroughProperties, EachForwardedPropertyAloneCounts) {
  Properties a;
  a.payload_format_indicator = 0;
  Properties b;
  b.content_type = "";
  Properties c;
  c.user_properties = {{"k", "v"}};
  EXPECT_TRUE(HasPassthroughProperties(a));
  EXPECT_TRUE(HasPassthroughProperties(b));
  EXPECT_TRUE(HasPassthroughProperties(c));
}

}  // namespace
}  // namespace ringmq
