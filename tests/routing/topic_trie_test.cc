#include "routing/topic_trie.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "routing/topic_match.h"

namespace ringmq {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

Subscription Sub(SubscriberId id, uint8_t qos = 0, uint32_t subscription_id = 0) {
  Subscription sub;
  sub.subscriber = id;
  sub.options.max_qos = qos;
  sub.subscription_id = subscription_id;
  return sub;
}

// (subscriber, share group) pairs visited for `topic`.
std::vector<std::pair<SubscriberId, std::string>> Matches(const TopicTrie& trie, std::string_view topic) {
  std::vector<std::pair<SubscriberId, std::string>> out;
  trie.Match(topic, [&out](const Subscription& sub, std::string_view group) {
    out.emplace_back(sub.subscriber, std::string(group));
  });
  return out;
}

// A trie in which subscriber N (counting from 1) holds a plain subscription to the Nth filter.
TopicTrie TrieOfPlainFilters(std::initializer_list<std::string_view> filters) {
  TopicTrie trie;
  SubscriberId id = 0;
  for (std::string_view filter : filters) trie.Add(filter, "", Sub(++id));
  return trie;
}

TEST(TopicTrieTest, AddReportsFirstSubscriberAndReplacement) {
  TopicTrie trie;
  auto first = trie.Add("a/b", "", Sub(1));
  EXPECT_TRUE(first.filter_added_to_trie);
  EXPECT_FALSE(first.replaced_existing);
  auto second = trie.Add("a/b", "", Sub(2));
  EXPECT_FALSE(second.filter_added_to_trie);
  EXPECT_FALSE(second.replaced_existing);
  auto again = trie.Add("a/b", "", Sub(1, 2, 7));
  EXPECT_FALSE(again.filter_added_to_trie);
  EXPECT_TRUE(again.replaced_existing);
  EXPECT_EQ(trie.filter_count(), 1u);
  EXPECT_EQ(trie.subscription_count(), 2u);

  uint8_t qos = 0;
  uint32_t id = 0;
  trie.Match("a/b", [&](const Subscription& sub, std::string_view) {
    if (sub.subscriber == 1) qos = sub.options.max_qos, id = sub.subscription_id;
  });
  EXPECT_EQ(qos, 2);
  EXPECT_EQ(id, 7u);
}

TEST(TopicTrieTest, SharedGroupsAreDistinctFiltersFromPlainOnes) {
  TopicTrie trie;
  EXPECT_TRUE(trie.Add("a/+", "", Sub(1)).filter_added_to_trie);
  EXPECT_TRUE(trie.Add("a/+", "g1", Sub(2)).filter_added_to_trie);
  EXPECT_TRUE(trie.Add("a/+", "g2", Sub(3)).filter_added_to_trie);
  EXPECT_FALSE(trie.Add("a/+", "g1", Sub(4)).filter_added_to_trie);
  EXPECT_FALSE(trie.Add("a/+", "g1", Sub(1)).replaced_existing);  // plain sub 1 is a different entry
  EXPECT_EQ(trie.filter_count(), 3u);
  EXPECT_EQ(trie.subscription_count(), 5u);
  EXPECT_THAT(Matches(trie, "a/x"), UnorderedElementsAre(Pair(1, ""), Pair(2, "g1"), Pair(3, "g2"), Pair(4, "g1"),
                                                        Pair(1, "g1")));

  auto removed = trie.Remove("a/+", "g2", 3);
  EXPECT_TRUE(removed.removed);
  EXPECT_TRUE(removed.filter_removed_from_trie);
  removed = trie.Remove("a/+", "g1", 2);
  EXPECT_TRUE(removed.removed);
  EXPECT_FALSE(removed.filter_removed_from_trie);
  EXPECT_THAT(Matches(trie, "a/x"), UnorderedElementsAre(Pair(1, ""), Pair(4, "g1"), Pair(1, "g1")));
  EXPECT_EQ(trie.filter_count(), 2u);
}

TEST(TopicTrieTest, RemoveReportsLastSubscriberAndUnknowns) {
  TopicTrie trie;
  trie.Add("x/#", "", Sub(1));
  trie.Add("x/#", "", Sub(2));
  EXPECT_FALSE(trie.Remove("x/#", "", 3).removed);
  EXPECT_FALSE(trie.Remove("y/#", "", 1).removed);
  EXPECT_FALSE(trie.Remove("x/#", "g", 1).removed);
  auto first = trie.Remove("x/#", "", 1);
  EXPECT_TRUE(first.removed);
  EXPECT_FALSE(first.filter_removed_from_trie);
  auto last = trie.Remove("x/#", "", 2);
  EXPECT_TRUE(last.removed);
  EXPECT_TRUE(last.filter_removed_from_trie);
  EXPECT_EQ(trie.filter_count(), 0u);
  EXPECT_EQ(trie.subscription_count(), 0u);
  EXPECT_THAT(Matches(trie, "x/y"), UnorderedElementsAre());
  EXPECT_TRUE(trie.Add("x/#", "", Sub(1)).filter_added_to_trie);  // pruned path rebuilds
}

TEST(TopicTrieTest, SubscriberVisitedOncePerMatchingFilter) {
  TopicTrie trie;
  trie.Add("sport/#", "", Sub(1, 0, 10));
  trie.Add("sport/tennis/+", "", Sub(1, 1, 11));
  trie.Add("sport/tennis/player1", "", Sub(1, 2, 12));
  trie.Add("sport/golf/+", "", Sub(2));
  std::vector<uint32_t> ids;
  trie.Match("sport/tennis/player1", [&ids](const Subscription& sub, std::string_view) {
    ids.push_back(sub.subscription_id);
  });
  EXPECT_THAT(ids, UnorderedElementsAre(10, 11, 12));
}

TEST(TopicTrieTest, DollarTopicsOnlyMatchLiteralFirstLevel) {
  const TopicTrie trie = TrieOfPlainFilters({"#", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+"});
  EXPECT_THAT(Matches(trie, "$SYS/monitor/Clients"), UnorderedElementsAre(Pair(3, ""), Pair(4, "")));
  EXPECT_THAT(Matches(trie, "SYS/monitor/Clients"), UnorderedElementsAre(Pair(1, ""), Pair(2, "")));
}

TEST(TopicTrieTest, SpecExamplesThroughTheTrie) {
  const TopicTrie trie = TrieOfPlainFilters({"sport/tennis/player1/#", "sport/#", "sport/+", "+/+", "/+", "+"});
  EXPECT_THAT(Matches(trie, "sport/tennis/player1"), UnorderedElementsAre(Pair(1, ""), Pair(2, "")));
  EXPECT_THAT(Matches(trie, "sport"), UnorderedElementsAre(Pair(2, ""), Pair(6, "")));
  EXPECT_THAT(Matches(trie, "sport/"), UnorderedElementsAre(Pair(2, ""), Pair(3, ""), Pair(4, "")));
  EXPECT_THAT(Matches(trie, "/finance"), UnorderedElementsAre(Pair(4, ""), Pair(5, "")));
}

// Cross-checks the trie against TopicMatches on random filters and topics from a small alphabet,
// which exercises empty levels, `+` and `#` at every depth and `$` topics.
TEST(TopicTrieTest, AgreesWithTopicMatchesOnRandomInput) {
  std::mt19937 rng(12345);
  const std::vector<std::string> words = {"a", "b", "", "$s"};
  auto random_levels = [&](bool wildcards) {
    std::string out;
    int levels = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < levels; ++i) {
      if (i) out += '/';
      unsigned pick = rng() % (wildcards ? 6 : 4);
      if (pick == 4) {
        out += '+';
      } else if (pick == 5) {
        out += '#';
        break;
      } else {
        out += words[pick];
      }
    }
    return out;
  };
  TopicTrie trie;
  std::vector<std::string> filters;
  for (SubscriberId id = 0; id < 300; ++id) {
    filters.push_back(random_levels(true));
    trie.Add(filters.back(), "", Sub(id));
  }
  for (SubscriberId id = 0; id < 300; id += 3) trie.Remove(filters[id], "", id);  // prune some
  for (int round = 0; round < 500; ++round) {
    std::string topic = random_levels(false);
    std::vector<SubscriberId> expected;
    for (SubscriberId id = 0; id < 300; ++id) {
      if (id % 3 != 0 && TopicMatches(filters[id], topic)) expected.push_back(id);
    }
    std::vector<SubscriberId> actual;
    trie.Match(topic, [&actual](const Subscription& sub, std::string_view) { actual.push_back(sub.subscriber); });
    ASSERT_THAT(actual, UnorderedElementsAreArray(expected)) << "topic '" << topic << "'";
  }
}

TEST(TopicTrieTest, GenerationMovesOnEveryChangeOnly) {
  TopicTrie trie;
  uint64_t generation = trie.generation();
  trie.Add("a/+", "", Sub(1));
  EXPECT_GT(trie.generation(), generation);
  generation = trie.generation();
  trie.Add("a/+", "", Sub(1, 1));  // new options for an existing subscription
  EXPECT_GT(trie.generation(), generation);
  generation = trie.generation();
  trie.Match("a/b", [](const Subscription&, std::string_view) {});
  trie.Remove("a/+", "", 2);  // not subscribed: nothing changes
  EXPECT_EQ(trie.generation(), generation);
  trie.Remove("a/+", "", 1);
  EXPECT_GT(trie.generation(), generation);
}

TEST(TopicTrieTest, GroupMembersIsAnExactLookupAmongManyGroups) {
  TopicTrie trie;
  for (int g = 0; g < 2000; ++g) trie.Add("#", absl::StrCat("g", g), Sub(1, 1, g));
  trie.Add("#", "g7", Sub(2));
  trie.Add("a/+", "g7", Sub(3));
  trie.Add("#", "", Sub(4));
  std::span<const Subscription> members = trie.GroupMembers("#", "g7");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].subscriber + members[1].subscriber, 3u);
  EXPECT_EQ(trie.GroupMembers("#", "g1999").size(), 1u);
  EXPECT_EQ(trie.GroupMembers("#", "g1999")[0].subscription_id, 1999u);
  EXPECT_EQ(trie.GroupMembers("a/+", "g7").size(), 1u);
  EXPECT_TRUE(trie.GroupMembers("#", "g2000").empty());
  EXPECT_TRUE(trie.GroupMembers("a/b", "g7").empty());  // a key, not a match
  // Removing groups (the last one's entry moves into the gap) keeps every other group findable.
  for (int g = 0; g < 2000; g += 2) EXPECT_TRUE(trie.Remove("#", absl::StrCat("g", g), 1).removed);
  for (int g = 1; g < 2000; g += 2) ASSERT_EQ(trie.GroupMembers("#", absl::StrCat("g", g)).size(), g == 7 ? 2u : 1u);
  EXPECT_TRUE(trie.GroupMembers("#", "g0").empty());
}

TEST(TopicTrieTest, MatchPlainSkipsShareGroups) {
  TopicTrie trie;
  trie.Add("a/#", "", Sub(1));
  trie.Add("a/#", "g", Sub(2));
  trie.Add("a/b", "", Sub(3));
  std::vector<SubscriberId> seen;
  trie.MatchPlain("a/b", [&](const Subscription& sub) { seen.push_back(sub.subscriber); });
  EXPECT_THAT(seen, UnorderedElementsAre(1u, 3u));
}

}  // namespace
}  // namespace ringmq
