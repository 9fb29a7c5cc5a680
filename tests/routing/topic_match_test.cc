#include "routing/topic_match.h"

#include <gtest/gtest.h>

#include <string_view>

namespace ringmq {
namespace {

// Which rule of MQTT 3.1.1 / 5.0 section 4.7 a case illustrates; one test per rule.
enum class Rule { kMultiLevelWildcard, kSingleLevelWildcard, kDollarTopics, kExactLevels, kEmptyAndDollarLevels };

struct MatchCase {
  Rule rule;
  std::string_view filter;
  std::string_view topic;
  bool matches;
};

using enum Rule;

// The spec's examples and a few edge cases, as (rule, filter, topic, whether the filter matches).
constexpr MatchCase kCases[] = {
    // Section 4.7.1.2: multi-level wildcard.
    {kMultiLevelWildcard, "sport/tennis/player1/#", "sport/tennis/player1", true},
    {kMultiLevelWildcard, "sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {kMultiLevelWildcard, "sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {kMultiLevelWildcard, "sport/#", "sport", true},
    {kMultiLevelWildcard, "#", "sport/tennis/player1", true},
    {kMultiLevelWildcard, "sport/tennis/player1/#", "sport/tennis/player2", false},
    {kMultiLevelWildcard, "sport/tennis/player1/#", "sport/tennis", false},
    // Section 4.7.1.3: single-level wildcard.
    {kSingleLevelWildcard, "sport/tennis/+", "sport/tennis/player1", true},
    {kSingleLevelWildcard, "sport/tennis/+", "sport/tennis/player2", true},
    {kSingleLevelWildcard, "sport/tennis/+", "sport/tennis/player1/ranking", false},
    {kSingleLevelWildcard, "sport/+", "sport", false},
    {kSingleLevelWildcard, "sport/+", "sport/", true},
    {kSingleLevelWildcard, "+", "sport", true},
    {kSingleLevelWildcard, "+/tennis/#", "sport/tennis/player1", true},
    {kSingleLevelWildcard, "sport/+/player1", "sport/tennis/player1", true},
    {kSingleLevelWildcard, "+/+", "/finance", true},
    {kSingleLevelWildcard, "/+", "/finance", true},
    {kSingleLevelWildcard, "+", "/finance", false},
    // Section 4.7.2: topics beginning with $.
    {kDollarTopics, "#", "$SYS/broker/clients", false},
    {kDollarTopics, "+/monitor/Clients", "$SYS/monitor/Clients", false},
    {kDollarTopics, "$SYS/#", "$SYS/monitor/Clients", true},
    {kDollarTopics, "$SYS/monitor/+", "$SYS/monitor/Clients", true},
    {kDollarTopics, "$SYS/#", "$SYS", true},
    {kDollarTopics, "+", "$SYS", false},
    // Section 4.7.3: matching is exact, case-sensitive, and empty levels are levels.
    {kExactLevels, "ACCOUNTS", "ACCOUNTS", true},
    {kExactLevels, "ACCOUNTS", "Accounts", false},
    {kExactLevels, "Accounts payable", "Accounts payable", true},
    {kExactLevels, "/finance", "finance", false},
    {kExactLevels, "finance", "/finance", false},
    {kExactLevels, "a/b", "a/b/", false},
    {kExactLevels, "a//b", "a//b", true},
    {kExactLevels, "a/+/b", "a//b", true},
    {kExactLevels, "a/b/c", "a/b", false},
    // `#` after an empty level; `$` is special only at the start of the first level.
    {kEmptyAndDollarLevels, "/#", "/", true},
    {kEmptyAndDollarLevels, "/#", "/finance/x", true},
    {kEmptyAndDollarLevels, "/#", "finance", false},
    {kEmptyAndDollarLevels, "a/+", "a/$b", true},  // only the first level is special
    {kEmptyAndDollarLevels, "#", "a/$SYS", true},
};

// Checks every case of `rule`, naming the filter and topic of any that fails.
void ExpectCasesOf(Rule rule) {
  int checked = 0;
  for (const MatchCase& c : kCases) {
    if (c.rule != rule) continue;
    ++checked;
    EXPECT_EQ(TopicMatches(c.filter, c.topic), c.matches) << "filter '" << c.filter << "', topic '" << c.topic << "'";
  }
  EXPECT_GT(checked, 0);
}

TEST(TopicMatchTest, MultiLevelWildcardSpecExamples) { ExpectCasesOf(kMultiLevelWildcard); }
TEST(TopicMatchTest, SingleLevelWildcardSpecExamples) { ExpectCasesOf(kSingleLevelWildcard); }
TEST(TopicMatchTest, DollarTopicsHiddenFromLeadingWildcards) { ExpectCasesOf(kDollarTopics); }
TEST(TopicMatchTest, ExactLevelsAreCaseSensitive) { ExpectCasesOf(kExactLevels); }
TEST(TopicMatchTest, HashAfterEmptyLevelAndDollarInsideLevels) { ExpectCasesOf(kEmptyAndDollarLevels); }

}  // namespace
}  // namespace ringmq
