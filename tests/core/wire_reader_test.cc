#include "core/wire_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringmq {
namespace {

TEST(WireReader, ReadsBigEndianIntegers) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  WireReader in(bytes);
  EXPECT_EQ(in.ReadU8(), 0x01);
  EXPECT_EQ(in.ReadU16(), 0x0203);
  EXPECT_EQ(in.ReadU32(), 0x04050607u);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(in.ReadU8().has_value());
}

TEST(WireReader, ShortReadsFailWithoutMoving) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03};
  WireReader in(bytes);
  EXPECT_FALSE(in.ReadU32().has_value());
  EXPECT_EQ(in.position(), 0u);
  EXPECT_FALSE(in.ReadBytes(4).has_value());
  EXPECT_EQ(in.ReadU16(), 0x0102);
  EXPECT_FALSE(in.ReadU16().has_value());
  EXPECT_EQ(in.remaining(), 1u);
}

TEST(WireReader, Varint) {
  const std::vector<uint8_t> bytes = {0x00, 0x7F, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0x7F};
  WireReader in(bytes);
  EXPECT_EQ(in.ReadVarint(), 0u);
  EXPECT_EQ(in.ReadVarint(), 127u);
  EXPECT_EQ(in.ReadVarint(), 128u);
  EXPECT_EQ(in.ReadVarint(), kMaxVarint);
  EXPECT_TRUE(in.empty());
}

TEST(WireReader, VarintTooLongOrTruncated) {
  const std::vector<uint8_t> five = {0x80, 0x80, 0x80, 0x80, 0x01};
  WireReader too_long(five);
  EXPECT_FALSE(too_long.ReadVarint().has_value());
  EXPECT_EQ(too_long.position(), 0u);
  const std::vector<uint8_t> cut = {0x80, 0x80};
  WireReader truncated(cut);
  EXPECT_FALSE(truncated.ReadVarint().has_value());
}

TEST(WireReader, LengthPrefixed) {
  const std::vector<uint8_t> bytes = {0x00, 0x02, 'h', 'i', 0x00, 0x05, 'x'};
  WireReader in(bytes);
  EXPECT_EQ(in.ReadLengthPrefixed(), "hi");
  EXPECT_FALSE(in.ReadLengthPrefixed().has_value());
  EXPECT_EQ(in.position(), 4u);  // rewound to the length prefix
  EXPECT_EQ(in.ReadRest(), std::string_view("\x00\x05x", 3));
  EXPECT_TRUE(in.empty());
}

TEST(WireReader, SplitBoundsTheSubReader) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03};
  WireReader in(bytes);
  std::optional<WireReader> sub = in.Split(2);
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->ReadU16(), 0x0102);
  EXPECT_FALSE(sub->ReadU8().has_value());
  EXPECT_EQ(in.ReadU8(), 0x03);
  EXPECT_FALSE(in.Split(1).has_value());
}

}  // namespace
}  // namespace ringmq
