#include "net/persistence/retained_record.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

MessageRef Make(std::string_view topic, std::string_view payload, int64_t expiry_deadline_ms = 0) {
  MessageParams params;
  params.topic = topic;
  params.payload = payload;
  params.qos = 1;
  params.retain = true;
  params.passthrough_properties = std::string_view("\x01\x01", 2);  // payload format indicator
  params.expiry_deadline_ms = expiry_deadline_ms;
  params.publisher_id = 42;
  return Message::Create(params);
}

TEST(RetainedRecordTest, RoundTripsTopicPayloadQosAndProperties) {
  const MessageRef original = Make("fleet/v7/state", "{\"on\":true}");
  const ClockPair now{1000, 1'700'000'000'000};
  const std::optional<MessageRef> restored =
      DecodeRetainedRecord(RetainedKey(original->topic()), EncodeRetainedValue(*original, now), now);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ((*restored)->topic(), "fleet/v7/state");
  EXPECT_EQ((*restored)->payload(), "{\"on\":true}");
  EXPECT_EQ((*restored)->qos(), 1);
  EXPECT_TRUE((*restored)->retain());
  EXPECT_EQ((*restored)->passthrough_properties(), std::string_view("\x01\x01", 2));
  EXPECT_EQ((*restored)->expiry_deadline_ms(), 0);
  EXPECT_EQ((*restored)->publisher_id(), kRestoredPublisherId);
}

TEST(RetainedRecordTest, ExpiryKeepsCountingAcrossARestart) {
  // Saved with 60 s left; the next boot's monotonic clock starts again near zero, 20 s of wall time later.
  const ClockPair saved{500'000, 1'700'000'000'000};
  const std::string value = EncodeRetainedValue(*Make("t", "p", saved.monotonic_ms + 60'000), saved);
  const ClockPair restarted{3'000, saved.wall_ms + 20'000};
  const std::optional<MessageRef> restored = DecodeRetainedRecord(RetainedKey("t"), value, restarted);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ((*restored)->expiry_deadline_ms(), restarted.monotonic_ms + 40'000);
  const ClockPair too_late{3'000, saved.wall_ms + 61'000};
  EXPECT_FALSE(DecodeRetainedRecord(RetainedKey("t"), value, too_late).has_value());
}

TEST(RetainedRecordTest, MalformedValuesAreRejected) {
  const ClockPair now{0, 0};
  EXPECT_FALSE(DecodeRetainedRecord(RetainedKey("t"), "", now).has_value());
  EXPECT_FALSE(DecodeRetainedRecord(RetainedKey("t"), std::string(14, '\x09'), now).has_value());
  std::string value = EncodeRetainedValue(*Make("t", "p"), now);
  value[10] = '\x7f';  // properties longer than the value
  EXPECT_FALSE(DecodeRetainedRecord(RetainedKey("t"), value, now).has_value());
}

TEST(RetainedRecordTest, SysTopicsAreNotSaved) {
  EXPECT_FALSE(IsDurableRetainedTopic("$SYS/broker/uptime"));
  EXPECT_TRUE(IsDurableRetainedTopic("fleet/$SYS"));
}

}  // namespace
}  // namespace ringmq
