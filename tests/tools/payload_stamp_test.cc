#include "tools/bench/payload_stamp.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(PayloadStampTest, RoundTrips) {
  std::string payload(64, 'x');
  WritePayloadStamp({.send_time_ns = 1234567890123, .publisher_index = 77, .sequence = 9'000'000'001}, payload);
  EXPECT_EQ(payload.size(), 64u);
  EXPECT_EQ(payload[kPayloadStampSize], 'x');  // padding untouched
  std::optional<PayloadStamp> stamp = ReadPayloadStamp(payload);
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp->send_time_ns, 1234567890123);
  EXPECT_EQ(stamp->publisher_index, 77u);
  EXPECT_EQ(stamp->sequence, 9'000'000'001u);
}

TEST(PayloadStampTest, LayoutIsLittleEndian) {
  std::string payload(kPayloadStampSize, '\0');
  WritePayloadStamp({.send_time_ns = 0x0102, .publisher_index = 0x03, .sequence = 0x04}, payload);
  EXPECT_EQ(payload[0], '\x02');
  EXPECT_EQ(payload[1], '\x01');
  EXPECT_EQ(payload[8], '\x03');
  EXPECT_EQ(payload[12], '\x04');
}

TEST(PayloadStampTest, ShortPayloadHasNoStamp) {
  EXPECT_FALSE(ReadPayloadStamp(std::string(kPayloadStampSize - 1, 'x')).has_value());
  EXPECT_TRUE(ReadPayloadStamp(std::string(kPayloadStampSize, 'x')).has_value());
}

TEST(PayloadStampTest, MonotonicClockAdvances) {
  const int64_t a = MonotonicNowNs();
  const int64_t b = MonotonicNowNs();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace ringmq::bench
