#include "routing/topic_match.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

// Examples from MQTT 3.1.1 / 5.0 section 4.7.1.2: multi-level wildcard.
TEST(TopicMatchTest, MultiLevelWildcardSpecExamples) {
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(TopicMatches("sport/#", "sport"));
  EXPECT_TRUE(TopicMatches("#", "sport/tennis/player1"));
  EXPECT_FALSE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player2"));
  EXPECT_FALSE(TopicMatches("sport/tennis/player1/#", "sport/tennis"));
}

// Section 4.7.1.3: single-level wildcard.
TEST(TopicMatchTest, SingleLevelWildcardSpecExamples) {
  EXPECT_TRUE(TopicMatches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(TopicMatches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(TopicMatches("sport/+", "sport"));
  EXPECT_TRUE(TopicMatches("sport/+", "sport/"));
  EXPECT_TRUE(TopicMatches("+", "sport"));
  EXPECT_TRUE(TopicMatches("+/tennis/#", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("sport/+/player1", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("+/+", "/finance"));
  EXPECT_TRUE(TopicMatches("/+", "/finance"));
  EXPECT_FALSE(TopicMatches("+", "/finance"));
}

// Section 4.7.2: topics beginning with $.
TEST(TopicMatchTest, DollarTopicsHiddenFromLeadingWildcards) {
  EXPECT_FALSE(TopicMatches("#", "$SYS/broker/clients"));
  EXPECT_FALSE(TopicMatches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(TopicMatches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(TopicMatches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_TRUE(TopicMatches("$SYS/#", "$SYS"));
  EXPECT_FALSE(TopicMatches("+", "$SYS"));
}

// Section 4.7.3: matching is exact, case-sensitive, and empty levels are levels.
TEST(TopicMatchTest, ExactLevelsAreCaseSensitive) {
  EXPECT_TRUE(TopicMatches("ACCOUNTS", "ACCOUNTS"));
  EXPECT_FALSE(TopicMatches("ACCOUNTS", "Accounts"));
  EXPECT_TRUE(TopicMatches("Accounts payable", "Accounts payable"));
  EXPECT_FALSE(TopicMatches("/finance", "finance"));
  EXPECT_FALSE(TopicMatches("finance", "/finance"));
  EXPECT_FALSE(TopicMatches("a/b", "a/b/"));
  EXPECT_TRUE(TopicMatches("a//b", "a//b"));
  EXPECT_TRUE(TopicMatches("a/+/b", "a//b"));
  EXPECT_FALSE(TopicMatches("a/b/c", "a/b"));
}

TEST(TopicMatchTest, HashAfterEmptyLevelAndDollarInsideLevels) {
  EXPECT_TRUE(TopicMatches("/#", "/"));
  EXPECT_TRUE(TopicMatches("/#", "/finance/x"));
  EXPECT_FALSE(TopicMatches("/#", "finance"));
  EXPECT_TRUE(TopicMatches("a/+", "a/$b"));  // only the first level is special
  EXPECT_TRUE(TopicMatches("#", "a/$SYS"));
}

}  // namespace
}  // namespace ringmq
