#include "core/frame.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringmq {
namespace {

constexpr uint32_t kNoLimit = 1u << 28;

TEST(ParseFrame, EmptyNeedsMore) {
  EXPECT_EQ(ParseFrame({}, kNoLimit).status, FrameStatus::kNeedMore);
}

TEST(ParseFrame, PingreqIsTwoBytes) {
  const std::vector<uint8_t> bytes = {0xC0, 0x00};
  const FrameResult r = ParseFrame(bytes, kNoLimit);
  ASSERT_EQ(r.status, FrameStatus::kOk);
  EXPECT_EQ(r.frame.type, PacketType::kPingreq);
  EXPECT_EQ(r.frame.flags, 0);
  EXPECT_EQ(r.frame.header_size, 2u);
  EXPECT_EQ(r.frame.remaining_length, 0u);
  EXPECT_EQ(r.frame.total_size(), 2u);
}

TEST(ParseFrame, ReadsTypeFlagsAndLengthIgnoringTrailingBytes) {
  const std::vector<uint8_t> bytes = {0x3B, 0x03, 'a', 'b', 'c', 0xC0, 0x00};
  const FrameResult r = ParseFrame(bytes, kNoLimit);
  ASSERT_EQ(r.status, FrameStatus::kOk);
  EXPECT_EQ(r.frame.type, PacketType::kPublish);
  EXPECT_EQ(r.frame.flags, 0x0B);
  EXPECT_EQ(r.frame.total_size(), 5u);
}

TEST(ParseFrame, NeedsMoreAtEveryShortLength) {
  const std::vector<uint8_t> bytes = {0x30, 0x82, 0x01, 0x00, 0x01, 't'};  // remaining 130
  for (size_t n = 1; n <= bytes.size(); ++n) {
    EXPECT_EQ(ParseFrame(std::span(bytes).first(n), kNoLimit).status, FrameStatus::kNeedMore) << n;
  }
}

TEST(ParseFrame, RemainingLengthBoundaries) {
  struct Case {
    std::vector<uint8_t> header;
    uint32_t value;
  };
  const Case cases[] = {{{0x30, 0x7F}, 127},
                        {{0x30, 0x80, 0x01}, 128},
                        {{0x30, 0xFF, 0x7F}, 16383},
                        {{0x30, 0x80, 0x80, 0x01}, 16384},
                        {{0x30, 0xFF, 0xFF, 0xFF, 0x7F}, 268435455}};
  for (const Case& c : cases) {
    const FrameResult r = ParseFrame(c.header, kNoLimit + 1024);
    EXPECT_EQ(r.status, FrameStatus::kNeedMore);
    const FrameResult big = ParseFrame(c.header, 1);
    EXPECT_EQ(big.status, FrameStatus::kTooLarge);
    EXPECT_EQ(big.frame.remaining_length, c.value);
    EXPECT_EQ(big.frame.header_size, c.header.size());
  }
}

TEST(ParseFrame, AcceptsOverlongVarint) {
  const std::vector<uint8_t> bytes = {0xC0, 0x80, 0x00};  // 0 written in two bytes
  const FrameResult r = ParseFrame(bytes, kNoLimit);
  ASSERT_EQ(r.status, FrameStatus::kOk);
  EXPECT_EQ(r.frame.remaining_length, 0u);
  EXPECT_EQ(r.frame.header_size, 3u);
}

TEST(ParseFrame, FifthLengthByteIsMalformed_MQTT_1_5_5) {
  const std::vector<uint8_t> bytes = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  EXPECT_EQ(ParseFrame(bytes, kNoLimit).status, FrameStatus::kMalformed);
  // Known as soon as the fourth length byte has its continuation bit set.
  EXPECT_EQ(ParseFrame(std::span(bytes).first(5), kNoLimit).status, FrameStatus::kMalformed);
}

TEST(ParseFrame, TypeZeroIsMalformed) {
  const std::vector<uint8_t> bytes = {0x00, 0x00};
  EXPECT_EQ(ParseFrame(bytes, kNoLimit).status, FrameStatus::kMalformed);
  EXPECT_EQ(ParseFrame(std::span(bytes).first(1), kNoLimit).status, FrameStatus::kMalformed);
}

TEST(ParseFrame, TooLargeAsSoonAsHeaderIsComplete) {
  const std::vector<uint8_t> header = {0x30, 0xE8, 0x07};  // remaining 1000, body not here yet
  const FrameResult r = ParseFrame(header, 1002);
  EXPECT_EQ(r.status, FrameStatus::kTooLarge);
  EXPECT_EQ(r.frame.type, PacketType::kPublish);
  EXPECT_EQ(r.frame.total_size(), 1003u);
  EXPECT_EQ(ParseFrame(header, 1003).status, FrameStatus::kNeedMore);
}

// The shard reserves an incomplete packet's buffer at its announced size (net/shard.cc).
TEST(ParseFrame, NeedMoreTellsTheSizeOnceTheHeaderIsWhole) {
  const std::vector<uint8_t> bytes = {0x30, 0xE8, 0x07, 0x00};  // remaining 1000, one body byte here
  const FrameResult whole_header = ParseFrame(bytes, kNoLimit);
  EXPECT_EQ(whole_header.status, FrameStatus::kNeedMore);
  EXPECT_EQ(whole_header.frame.total_size(), 1003u);
  const FrameResult partial_header = ParseFrame(std::span(bytes).first(2), kNoLimit);
  EXPECT_EQ(partial_header.status, FrameStatus::kNeedMore);
  EXPECT_EQ(partial_header.frame.header_size, 0u);
  EXPECT_EQ(partial_header.frame.total_size(), 0u);
}

TEST(ParseFrame, ExactlyAtLimitIsOk) {
  const std::vector<uint8_t> bytes = {0x30, 0x03, 0x00, 0x01, 't'};
  EXPECT_EQ(ParseFrame(bytes, 5).status, FrameStatus::kOk);
  EXPECT_EQ(ParseFrame(bytes, 4).status, FrameStatus::kTooLarge);
}

}  // namespace
}  // namespace ringmq
