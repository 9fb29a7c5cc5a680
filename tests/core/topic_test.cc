#include "core/topic.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

TEST(TopicName, Valid) {
  for (const char* name : {"a", "/", "sport/tennis/player1", "$SYS/broker/uptime", "a//b "}) {
    EXPECT_TRUE(IsValidTopicName(name)) << name;
  }
  EXPECT_TRUE(IsValidTopicName(std::string(65535, 'x')));
}

TEST(TopicName, Invalid_MQTT_4_7_3) {
  for (const char* name : {"", "a/+", "a/#", "a+b"}) EXPECT_FALSE(IsValidTopicName(name)) << name;
  EXPECT_FALSE(IsValidTopicName(std::string_view("a\0b", 3)));
  EXPECT_FALSE(IsValidTopicName(std::string(65536, 'x')));
}

TEST(TopicFilter, Valid_MQTT_4_7_1) {
  for (const char* filter : {"#", "+", "/", "sport/#", "sport/tennis/#", "+/tennis/#", "sport/+/player1", "+/+",
                             "/+", "a//b", "$SYS/#", "$share/g/a"}) {
    EXPECT_TRUE(IsValidTopicFilter(filter)) << filter;
  }
}

TEST(TopicFilter, Invalid) {
  for (const char* filter : {"", "sport/tennis#", "sport/tennis/#/ranking", "#/", "a/#/b", "sport+", "a/b+/c",
                             "+a", "##", "++"}) {
    EXPECT_FALSE(IsValidTopicFilter(filter)) << filter;
  }
  EXPECT_FALSE(IsValidTopicFilter(std::string_view("a/\0", 3)));
  EXPECT_FALSE(IsValidTopicFilter(std::string(65536, 'x')));
}

TEST(SharedFilter, Detection) {
  EXPECT_TRUE(IsSharedFilter("$share/g/t"));
  EXPECT_TRUE(IsSharedFilter("$share/"));
  EXPECT_FALSE(IsSharedFilter("$share"));
  EXPECT_FALSE(IsSharedFilter("$SHARE/g/t"));
  EXPECT_FALSE(IsSharedFilter("a/$share/g/t"));
}

TEST(SharedFilter, ParsesGroupAndFilter_MQTT_4_8_2) {
  const auto parsed = ParseSharedSubscription("$share/consumers/sport/+/player1");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->group, "consumers");
  EXPECT_EQ(parsed->filter, "sport/+/player1");
  const auto hash = ParseSharedSubscription("$share/g/#");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->filter, "#");
  const auto leading_slash = ParseSharedSubscription("$share/g//x");
  ASSERT_TRUE(leading_slash.has_value());
  EXPECT_EQ(leading_slash->filter, "/x");
}

TEST(SharedFilter, ClassifiesInvalidShares_MQTT_4_8_2_2) {
  for (const char* filter : {"$share/", "$share/g", "$share//t", "$share/g/", "$share/g+/t", "$share/#/t",
                             "$share/+/t", "$share/g/a#", "$share/g/#/a"}) {
    EXPECT_EQ(ClassifySharedFilter(filter).status, SharedFilterStatus::kInvalid) << filter;
    EXPECT_FALSE(ParseSharedSubscription(filter).has_value()) << filter;
  }
}

TEST(SharedFilter, OrdinaryFiltersAreNotShared) {
  EXPECT_EQ(ClassifySharedFilter("a/b").status, SharedFilterStatus::kNotShared);
  EXPECT_EQ(ClassifySharedFilter("$share").status, SharedFilterStatus::kNotShared);
  EXPECT_FALSE(ParseSharedSubscription("a/b").has_value());
  EXPECT_EQ(ClassifySharedFilter("$share/g/t").status, SharedFilterStatus::kValid);
}

}  // namespace
}  // namespace ringmq
