#include "routing/level_trie.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringmq {
namespace {

using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

struct Tag {
  std::string name;
  bool empty() const { return name.empty(); }
};

std::vector<std::string> FiltersMatching(const LevelTrie<Tag>& trie, std::string_view topic) {
  std::vector<std::string> out;
  trie.ForEachFilterMatching(topic, [&out](const Tag& tag) { out.push_back(tag.name); });
  return out;
}

std::vector<std::string> TopicsMatching(const LevelTrie<Tag>& trie, std::string_view filter) {
  std::vector<std::string> out;
  trie.ForEachTopicMatching(filter, [&out](const Tag& tag) { out.push_back(tag.name); });
  return out;
}

LevelTrie<Tag> TrieOf(const std::vector<std::string>& keys) {
  LevelTrie<Tag> trie;
  for (const std::string& key : keys) trie.FindOrInsert(key).name = key;
  return trie;
}

TEST(LevelTrieTest, FindOrInsertAndFind) {
  LevelTrie<Tag> trie;
  EXPECT_EQ(trie.Find("a/b"), nullptr);
  trie.FindOrInsert("a/b").name = "x";
  ASSERT_NE(trie.Find("a/b"), nullptr);
  EXPECT_EQ(trie.Find("a/b")->name, "x");
  EXPECT_EQ(&trie.FindOrInsert("a/b"), trie.Find("a/b"));
  ASSERT_NE(trie.Find("a"), nullptr);  // interior node exists with an empty value
  EXPECT_TRUE(trie.Find("a")->empty());
  EXPECT_EQ(trie.node_count(), 2u);
}

TEST(LevelTrieTest, FilterWalkHonoursWildcardsAndEmptyLevels) {
  auto trie = TrieOf({"sport/#", "sport/+", "+/+", "/+", "#", "sport/tennis", "sport/tennis/+", "$SYS/#"});
  EXPECT_THAT(FiltersMatching(trie, "sport"), UnorderedElementsAre("sport/#", "#"));
  EXPECT_THAT(FiltersMatching(trie, "sport/tennis"),
              UnorderedElementsAre("sport/#", "sport/+", "+/+", "#", "sport/tennis"));
  EXPECT_THAT(FiltersMatching(trie, "/finance"), UnorderedElementsAre("+/+", "/+", "#"));
  EXPECT_THAT(FiltersMatching(trie, "$SYS/load"), UnorderedElementsAre("$SYS/#"));
  EXPECT_THAT(FiltersMatching(trie, "other/a/b"), UnorderedElementsAre("#"));
}

TEST(LevelTrieTest, TopicWalkHonoursWildcardsAndDollarTopics) {
  auto trie = TrieOf({"sport", "sport/tennis", "sport/tennis/p1", "sport/golf", "/finance", "$SYS/load", "sport/"});
  EXPECT_THAT(TopicsMatching(trie, "sport/#"),
              UnorderedElementsAre("sport", "sport/tennis", "sport/tennis/p1", "sport/golf", "sport/"));
  EXPECT_THAT(TopicsMatching(trie, "sport/+"), UnorderedElementsAre("sport/tennis", "sport/golf", "sport/"));
  EXPECT_THAT(TopicsMatching(trie, "+"), UnorderedElementsAre("sport"));
  EXPECT_THAT(TopicsMatching(trie, "+/+"), UnorderedElementsAre("sport/tennis", "sport/golf", "/finance", "sport/"));
  EXPECT_THAT(TopicsMatching(trie, "#"), UnorderedElementsAre("sport", "sport/tennis", "sport/tennis/p1",
                                                              "sport/golf", "/finance", "sport/"));
  EXPECT_THAT(TopicsMatching(trie, "$SYS/#"), UnorderedElementsAre("$SYS/load"));
  EXPECT_THAT(TopicsMatching(trie, "sport/tennis"), UnorderedElementsAre("sport/tennis"));
  EXPECT_THAT(TopicsMatching(trie, "nope/#"), UnorderedElementsAre());
}

TEST(LevelTrieTest, PruneEmptyRemovesOnlyUnusedNodes) {
  auto trie = TrieOf({"a/b/c", "a/b", "a/+/#"});
  EXPECT_EQ(trie.node_count(), 5u);  // a, b, c, +, #
  trie.Find("a/b/c")->name.clear();
  trie.PruneEmpty("a/b/c");
  EXPECT_EQ(trie.node_count(), 4u);  // c gone, b still holds a value
  trie.Find("a/b")->name.clear();
  trie.PruneEmpty("a/b");
  EXPECT_EQ(trie.node_count(), 3u);
  trie.Find("a/+/#")->name.clear();
  trie.PruneEmpty("a/+/#");
  EXPECT_EQ(trie.node_count(), 0u);
  EXPECT_EQ(trie.Find("a"), nullptr);
  trie.PruneEmpty("never/there");  // harmless
  EXPECT_EQ(trie.node_count(), 0u);
}

TEST(LevelTrieTest, ManyChildrenMoveToHashMapAndBack) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("fleet/v" + std::to_string(i));
  auto trie = TrieOf(keys);
  EXPECT_EQ(trie.node_count(), 101u);
  EXPECT_THAT(TopicsMatching(trie, "fleet/+"), UnorderedElementsAreArray(keys));
  EXPECT_THAT(FiltersMatching(trie, "fleet/v42"), UnorderedElementsAre("fleet/v42"));
  for (const std::string& key : keys) {
    trie.Find(key)->name.clear();
    trie.PruneEmpty(key);
  }
  EXPECT_EQ(trie.node_count(), 0u);
  EXPECT_THAT(FiltersMatching(trie, "fleet/v42"), UnorderedElementsAre());
}

}  // namespace
}  // namespace ringmq
