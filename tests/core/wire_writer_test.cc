#include "core/wire_writer.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(WireWriter, Integers) {
  std::string out;
  wire::PutU8(0xAB, out);
  wire::PutU16(0x0102, out);
  wire::PutU32(0x03040506, out);
  EXPECT_EQ(out, std::string("\xAB\x01\x02\x03\x04\x05\x06", 7));
}

TEST(WireWriter, VarintLengthsMatchBytes) {
  for (uint32_t v : {0u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u, 268435455u}) {
    std::string out;
    EXPECT_EQ(wire::PutVarint(v, out), wire::VarintLength(v)) << v;
    EXPECT_EQ(out.size(), wire::VarintLength(v)) << v;
  }
}

TEST(WireWriter, LengthPrefixed) {
  std::string out;
  wire::PutLengthPrefixed("abc", out);
  EXPECT_EQ(out, std::string("\x00\x03" "abc", 5));
  EXPECT_EQ(wire::LengthPrefixedSize("abc"), 5u);
}

}  // namespace
}  // namespace ringmq
