// Topic aliases of one connection, client to server and server to client.
#include "core/topic_alias.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

TEST(InboundTopicAliases, BindsThenResolvesEmptyTopic) {
  InboundTopicAliases aliases(10);
  EXPECT_EQ(aliases.Resolve("a/b", 3).topic, "a/b");
  const auto resolved = aliases.Resolve("", 3);
  EXPECT_EQ(resolved.error, ReasonCode::kSuccess);
  EXPECT_EQ(resolved.topic, "a/b");
}

TEST(InboundTopicAliases, RebindingReplacesTheTopic) {
  InboundTopicAliases aliases(10);
  aliases.Resolve("old", 1);
  aliases.Resolve("new", 1);
  EXPECT_EQ(aliases.Resolve("", 1).topic, "new");
}

TEST(InboundTopicAliases, AliasAboveMaximumIsInvalid) {
  InboundTopicAliases aliases(2);
  EXPECT_EQ(aliases.Resolve("t", 3).error, ReasonCode::kTopicAliasInvalid);
  EXPECT_EQ(aliases.Resolve("t", 0).error, ReasonCode::kTopicAliasInvalid);
  EXPECT_EQ(aliases.Resolve("t", 2).error, ReasonCode::kSuccess);
}

TEST(InboundTopicAliases, MaximumZeroRejectsEveryAlias) {
  InboundTopicAliases aliases(0);
  EXPECT_EQ(aliases.Resolve("t", 1).error, ReasonCode::kTopicAliasInvalid);
}

TEST(InboundTopicAliases, UnknownAliasWithEmptyTopicIsProtocolError) {
  InboundTopicAliases aliases(10);
  EXPECT_EQ(aliases.Resolve("", 5).error, ReasonCode::kProtocolError);
  aliases.Resolve("t", 7);  // grows the table past 5
  EXPECT_EQ(aliases.Resolve("", 5).error, ReasonCode::kProtocolError);
}

TEST(OutboundTopicAliases, FirstUseSendsTopicLaterUsesDoNot) {
  OutboundTopicAliases aliases(5);
  const auto first = aliases.Assign("sensors/1");
  EXPECT_EQ(first.alias, 1);
  EXPECT_TRUE(first.send_topic);
  const auto again = aliases.Assign("sensors/1");
  EXPECT_EQ(again.alias, 1);
  EXPECT_FALSE(again.send_topic);
  EXPECT_EQ(aliases.Assign("sensors/2").alias, 2);
}

TEST(OutboundTopicAliases, BeyondMaximumTopicsTravelInFull) {
  OutboundTopicAliases aliases(1);
  EXPECT_EQ(aliases.Assign("topic/a").alias, 1);
  const auto full = aliases.Assign("topic/b");
  EXPECT_EQ(full.alias, 0);
  EXPECT_TRUE(full.send_topic);
  EXPECT_EQ(aliases.Assign("topic/a").alias, 1);  // existing mappings are kept
  EXPECT_EQ(aliases.size(), 1u);
}

TEST(OutboundTopicAliases, ShortTopicsGetNoAlias) {
  OutboundTopicAliases aliases(5);
  EXPECT_EQ(aliases.Assign("abc").alias, 0);
  EXPECT_EQ(aliases.Assign("abcd").alias, 1);
}

TEST(OutboundTopicAliases, PeekForetellsAssignWithoutAssigning) {
  OutboundTopicAliases aliases(1);
  const auto peeked = aliases.Peek("sensors/1");
  EXPECT_EQ(peeked.alias, 1);
  EXPECT_TRUE(peeked.send_topic);
  EXPECT_EQ(aliases.size(), 0u);
  EXPECT_EQ(aliases.Peek("sensors/1").alias, 1);  // still not assigned
  aliases.Assign("sensors/1");
  EXPECT_FALSE(aliases.Peek("sensors/1").send_topic);
  EXPECT_EQ(aliases.Peek("sensors/2").alias, 0);  // the table is full
  EXPECT_EQ(aliases.Peek("abc").alias, 0);
}

TEST(OutboundTopicAliases, MaximumZeroAssignsNothing) {
  OutboundTopicAliases aliases(0);
  EXPECT_EQ(aliases.Assign("long/topic").alias, 0);
}

}  // namespace
}  // namespace ringmq
