#include "tools/bench/topic_template.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(TopicTemplateTest, LiteralExpandsToItself) {
  absl::StatusOr<TopicTemplate> t = TopicTemplate::Parse("a/b/c");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Expand(7, 3), "a/b/c");
  EXPECT_FALSE(t->has_client_index());
  EXPECT_FALSE(t->has_wildcard());
}

TEST(TopicTemplateTest, ExpandsClientAndThreadIndex) {
  absl::StatusOr<TopicTemplate> t = TopicTemplate::Parse("bench/%t/client-%i/x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Expand(42, 1), "bench/1/client-42/x");
  EXPECT_EQ(t->Expand(0, 0), "bench/0/client-0/x");
  EXPECT_TRUE(t->has_client_index());
}

TEST(TopicTemplateTest, EscapesAtTheEdges) {
  absl::StatusOr<TopicTemplate> t = TopicTemplate::Parse("%i%t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Expand(12, 3), "123");
}

TEST(TopicTemplateTest, DoublePercentIsALiteralPercent) {
  absl::StatusOr<TopicTemplate> t = TopicTemplate::Parse("100%%/%i");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Expand(5, 0), "100%/5");
}

TEST(TopicTemplateTest, DetectsWildcards) {
  EXPECT_TRUE(TopicTemplate::Parse("a/+/b")->has_wildcard());
  EXPECT_TRUE(TopicTemplate::Parse("a/#")->has_wildcard());
}

TEST(TopicTemplateTest, RejectsBadTemplates) {
  EXPECT_FALSE(TopicTemplate::Parse("").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/%").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/%x").ok());
}

}  // namespace
}  // namespace ringmq::bench
