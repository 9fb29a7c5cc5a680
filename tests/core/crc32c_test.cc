#include "core/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace ringmq {
namespace {

// RFC 3720 (iSCSI) appendix B.4 gives CRC-32C check values; "123456789" is the usual catalogue one.
TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);  // RFC 3720 B.4: 32 bytes of ones
}

TEST(Crc32cTest, ContinuingOverPiecesEqualsTheWhole) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text.push_back(static_cast<char>(i * 7 + 3));
  const uint32_t whole = Crc32c(text);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{500}, text.size()}) {
    const std::string_view view(text);
    EXPECT_EQ(Crc32c(view.substr(cut), Crc32c(view.substr(0, cut))), whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace ringmq
