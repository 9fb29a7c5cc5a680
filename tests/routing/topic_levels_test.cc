#include "routing/topic_levels.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace ringmq {
namespace {

std::vector<std::string_view> Levels(std::string_view text) {
  std::vector<std::string_view> out;
  TopicLevels levels(text);
  while (!levels.done()) out.push_back(levels.Next());
  return out;
}

using Strings = std::vector<std::string_view>;

TEST(TopicLevelsTest, SplitsOnSlashKeepingEmptyLevels) {
  EXPECT_EQ(Levels("a/b/c"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Levels("/finance"), (Strings{"", "finance"}));
  EXPECT_EQ(Levels("a/"), (Strings{"a", ""}));
  EXPECT_EQ(Levels("a//b"), (Strings{"a", "", "b"}));
  EXPECT_EQ(Levels("/"), (Strings{"", ""}));
  EXPECT_EQ(Levels("single"), (Strings{"single"}));
}

TEST(TopicLevelsTest, RestIsTheUnreadSuffix) {
  TopicLevels levels("a/b/c");
  EXPECT_EQ(levels.Next(), "a");
  EXPECT_EQ(levels.rest(), "b/c");
  EXPECT_FALSE(levels.done());
}

TEST(TopicLevelsTest, DollarTopicDetection) {
  EXPECT_TRUE(IsDollarTopic("$SYS/x"));
  EXPECT_FALSE(IsDollarTopic("a/$SYS"));
  EXPECT_FALSE(IsDollarTopic(""));
}

}  // namespace
}  // namespace ringmq
