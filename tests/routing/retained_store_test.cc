#include "routing/retained_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringmq {
namespace {

using ::testing::UnorderedElementsAre;

MessageRef Msg(std::string_view topic, std::string_view payload) {
  return Message::Create(MessageParams{.topic = topic, .payload = payload, .qos = 1, .retain = true});
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

}  // namespace
}  // namespace ringmq
