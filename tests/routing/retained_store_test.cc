#include "routing/retained_store.h"

#include "routing/topic_match.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace ringmq {
namespace {

using ::testing::UnorderedElementsAre;

MessageRef Msg(std::string_view topic, std::string_view payload) {
  return Message::Create(MessageParams{.topic = topic, .payload = payload, .qos = 1, .retain = true, .publisher_id = 7});
}

std::vector<std::string> TopicsMatching(const RetainedStore& store, std::string_view filter) {
  std::vector<std::string> out;
  store.Match(filter, [&out](const MessageRef& msg) { out.emplace_back(msg->topic()); });
  return out;
}

TEST(RetainedStoreTest, SetFindReplaceAndClear) {
  RetainedStore store;
  EXPECT_EQ(store.Find("a/b"), nullptr);
  store.Set(Msg("a/b", "one"));
  ASSERT_NE(store.Find("a/b"), nullptr);
  EXPECT_EQ((*store.Find("a/b"))->payload(), "one");
  EXPECT_EQ(store.Find("a"), nullptr);  // interior level, nothing retained
  store.Set(Msg("a/b", "two"));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ((*store.Find("a/b"))->payload(), "two");
  store.Set(Msg("a/b", ""));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.Find("a/b"), nullptr);
  store.Set(Msg("a/b", ""));  // clearing an absent topic is a no-op
  EXPECT_EQ(store.size(), 0u);
}

TEST(RetainedStoreTest, KeepsMessagesSharedNotCopied) {
  RetainedStore store;
  MessageRef msg = Msg("s/t", "payload");
  const Message* raw = msg.get();
  store.Set(msg);
  ASSERT_NE(store.Find("s/t"), nullptr);
  EXPECT_EQ(store.Find("s/t")->get(), raw);
}

TEST(RetainedStoreTest, MatchWithWildcards) {
  RetainedStore store;
  for (std::string_view topic : {"sport", "sport/tennis", "sport/tennis/player1", "sport/golf", "sport/",
                                 "/finance", "news"}) {
    store.Set(Msg(topic, "x"));
  }
  EXPECT_EQ(store.size(), 7u);
  EXPECT_THAT(TopicsMatching(store, "sport/#"),
              UnorderedElementsAre("sport", "sport/tennis", "sport/tennis/player1", "sport/golf", "sport/"));
  EXPECT_THAT(TopicsMatching(store, "sport/+"), UnorderedElementsAre("sport/tennis", "sport/golf", "sport/"));
  EXPECT_THAT(TopicsMatching(store, "+/+/player1"), UnorderedElementsAre("sport/tennis/player1"));
  EXPECT_THAT(TopicsMatching(store, "+"), UnorderedElementsAre("sport", "news"));
  EXPECT_THAT(TopicsMatching(store, "/+"), UnorderedElementsAre("/finance"));
  EXPECT_THAT(TopicsMatching(store, "news"), UnorderedElementsAre("news"));
  EXPECT_THAT(TopicsMatching(store, "sport/tennis/player2"), UnorderedElementsAre());
}

TEST(RetainedStoreTest, DollarTopicsHiddenFromLeadingWildcards) {
  RetainedStore store;
  store.Set(Msg("$SYS/broker/uptime", "1"));
  store.Set(Msg("app/state", "2"));
  EXPECT_THAT(TopicsMatching(store, "#"), UnorderedElementsAre("app/state"));
  EXPECT_THAT(TopicsMatching(store, "+/broker/uptime"), UnorderedElementsAre());
  EXPECT_THAT(TopicsMatching(store, "$SYS/#"), UnorderedElementsAre("$SYS/broker/uptime"));
  EXPECT_THAT(TopicsMatching(store, "$SYS/+/uptime"), UnorderedElementsAre("$SYS/broker/uptime"));
}

TEST(RetainedStoreTest, ClearingLeafKeepsParentAndSiblings) {
  RetainedStore store;
  store.Set(Msg("a", "p"));
  store.Set(Msg("a/b", "c1"));
  store.Set(Msg("a/b/c", "c2"));
  store.Set(Msg("a/b", ""));
  EXPECT_THAT(TopicsMatching(store, "#"), UnorderedElementsAre("a", "a/b/c"));
  store.Set(Msg("a/b/c", ""));
  EXPECT_THAT(TopicsMatching(store, "#"), UnorderedElementsAre("a"));
  EXPECT_EQ(store.size(), 1u);
}

// The seeking walk must find exactly what a plain TopicMatches over every topic finds, whatever the
// filter's shape: random topics over a small alphabet (with '-' and '.', which sort before '/'),
// random filters.
TEST(RetainedStoreTest, SeekingMatchAgreesWithTopicMatches) {
  std::mt19937 random(7);
  const std::vector<std::string> words = {"a", "b", "a-1", "a.b", "ab", "", "b0", "$x"};
  auto pick = [&](size_t n) { return random() % n; };
  RetainedStore store;
  std::vector<std::string> topics;
  for (int i = 0; i < 400; ++i) {
    std::string topic;
    const size_t levels = 1 + pick(4);
    for (size_t l = 0; l < levels; ++l) {
      if (l > 0) topic += '/';
      std::string word = words[pick(words.size())];
      if (l > 0 && word == "$x") word = "x";
      topic += word;
    }
    if (topic.empty()) continue;
    topics.push_back(topic);
    store.Set(Msg(topic, "x"));
  }
  std::vector<std::string> filter_words = {"a", "b", "a-1", "ab", "", "+", "b0", "$x"};
  for (int i = 0; i < 3000; ++i) {
    std::string filter;
    const size_t levels = 1 + pick(4);
    for (size_t l = 0; l < levels; ++l) {
      if (l > 0) filter += '/';
      filter += filter_words[pick(filter_words.size())];
    }
    if (pick(3) == 0) filter += filter.empty() ? "#" : "/#";
    if (filter.empty()) continue;
    std::set<std::string> expected;
    for (const std::string& topic : topics) {
      if (TopicMatches(filter, topic)) expected.insert(topic);
    }
    std::vector<std::string> found = TopicsMatching(store, filter);
    EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), expected) << filter;
    EXPECT_EQ(found.size(), expected.size()) << filter << ": a topic twice";
  }
}

TEST(RetainedStoreTest, ResumableMatchVisitsBoundedBatchesWithoutDuplicates) {
  RetainedStore store;
  for (int i = 0; i < 1000; ++i) store.Set(Msg("d/" + std::to_string(i) + "/s", "x"));
  RetainedStore::MatchCursor cursor;
  std::set<std::string> seen;
  int calls = 0;
  while (!cursor.done && calls < 1000) {
    ++calls;
    const size_t visits = store.MatchSome("d/+/s", cursor, 64, [&](const MessageRef& msg) {
      EXPECT_TRUE(seen.insert(std::string(msg->topic())).second) << msg->topic();
      return true;
    });
    EXPECT_LE(visits, 64u);
    // The store changes between batches: a topic behind the cursor, and one far ahead.
    if (calls == 3) store.Set(Msg("d/0/s", "new"));
    if (calls == 4) store.Set(Msg("d/zzz/s", "x"));
  }
  EXPECT_TRUE(cursor.done);
  EXPECT_EQ(seen.size(), 1001u);
  EXPECT_GE(calls, 16);
}

TEST(RetainedStoreTest, ResumableMatchStopsBeforeARefusedMessage) {
  RetainedStore store;
  for (std::string_view topic : {"t/1", "t/2", "t/3"}) store.Set(Msg(topic, "x"));
  RetainedStore::MatchCursor cursor;
  std::vector<std::string> got;
  bool room = true;
  auto take = [&](const MessageRef& msg) {
    if (!room) return false;
    got.emplace_back(msg->topic());
    room = got.size() != 2;
    return true;
  };
  store.MatchSome("t/#", cursor, 100, take);
  EXPECT_THAT(got, ::testing::ElementsAre("t/1", "t/2"));
  EXPECT_FALSE(cursor.done);
  room = true;
  store.MatchSome("t/#", cursor, 100, take);
  EXPECT_THAT(got, ::testing::ElementsAre("t/1", "t/2", "t/3"));
  EXPECT_TRUE(cursor.done);
}

TEST(RetainedStoreTest, AdmitsNewTopicsWithinLimitsAndAlwaysReplacementsAndClears) {
  RetainedStore store;
  const RetainedStore::Limits limits{.max_messages = 2, .max_bytes = 100};
  store.Set(Msg("a", "1"));
  store.Set(Msg("b", "2"));
  EXPECT_EQ(store.bytes(), 4u);
  EXPECT_FALSE(store.Admits(*Msg("c", "3"), limits));  // a third topic
  EXPECT_TRUE(store.Admits(*Msg("a", std::string(500, 'x')), limits));  // replacing is allowed
  EXPECT_TRUE(store.Admits(*Msg("c", ""), limits));  // clearing too
  store.Set(Msg("b", ""));
  EXPECT_TRUE(store.Admits(*Msg("c", "3"), limits));
  EXPECT_FALSE(store.Admits(*Msg("c", std::string(98, 'x')), limits));  // 2 + 1 + 98 > 100 bytes
  EXPECT_TRUE(store.Admits(*Msg("c", std::string(97, 'x')), limits));
  EXPECT_TRUE(store.Admits(*Msg("c", std::string(1000, 'x')), RetainedStore::Limits{}));  // 0 = no limit
  // The broker's own topics ($SYS, publisher id 0) are neither refused nor counted.
  MessageRef sys = Message::Create(MessageParams{.topic = "$SYS/x", .payload = "1", .retain = true});
  store.Set(Msg("c", "3"));
  EXPECT_TRUE(store.Admits(*sys, limits));
  store.Set(sys);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.Admits(*Msg("d", "4"), limits));  // a, c: full without counting $SYS/x
  store.Set(Msg("c", ""));
  EXPECT_TRUE(store.Admits(*Msg("d", "4"), limits));
}

MessageRef Expiring(std::string_view topic, std::string_view payload, int64_t deadline_ms) {
  return Message::Create(
      MessageParams{.topic = topic, .payload = payload, .retain = true, .expiry_deadline_ms = deadline_ms,
                    .publisher_id = 7});
}

TEST(RetainedStoreTest, PurgeExpiredRemovesOnlyExpiredAndIsBounded) {
  RetainedStore store;
  store.Set(Expiring("e/1", "x", 100));
  store.Set(Expiring("e/2", "x", 200));
  store.Set(Expiring("e/3", "x", 300));
  store.Set(Msg("keep", "x"));
  store.Set(Expiring("e/3", "replaced", 5000));  // the replaced message's deadline no longer counts
  EXPECT_EQ(store.PurgeExpired(50, 10), 0u);
  EXPECT_EQ(store.PurgeExpired(1000, 1), 1u);  // bounded: one of the two expired
  EXPECT_EQ(store.Find("e/1"), nullptr);
  EXPECT_EQ(store.PurgeExpired(1000, 10), 1u);
  EXPECT_EQ(store.Find("e/2"), nullptr);
  ASSERT_NE(store.Find("e/3"), nullptr);
  EXPECT_EQ(store.size(), 2u);
  store.Set(Expiring("e/3", "", 0));  // cleared before its deadline
  EXPECT_EQ(store.PurgeExpired(10000, 10), 0u);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 5u);
}

}  // namespace
}  // namespace ringmq
