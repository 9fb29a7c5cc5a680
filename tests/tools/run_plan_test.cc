#include "tools/bench/run_plan.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

BenchConfig ConfigFor(Scenario scenario, uint32_t clients, uint32_t threads = 1) {
  BenchConfig config;
  config.scenario = scenario;
  config.clients = clients;
  config.threads = threads;
  config.client_id_prefix = "c-";
  return config;
}

TEST(RunPlanTest, PairsGivesEachPublisherItsOwnSubscriber) {
  absl::StatusOr<RunPlan> plan = BuildRunPlan(ConfigFor(Scenario::kPairs, 3, 2));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 6u);
  EXPECT_EQ(plan->publisher_count, 3u);
  EXPECT_EQ(plan->subscriber_count, 3u);
  EXPECT_EQ(plan->receivers_per_publisher, 1u);
  for (uint32_t k = 0; k < 3; ++k) {
    const ClientPlan& pub = plan->clients[k];
    const ClientPlan& sub = plan->clients[3 + k];
    EXPECT_TRUE(pub.is_publisher());
    EXPECT_FALSE(pub.is_subscriber());
    EXPECT_EQ(pub.publisher_index, k);
    EXPECT_EQ(pub.publish_topic, "rmqb/pairs/" + std::to_string(k));
    EXPECT_EQ(sub.subscribe_filter, pub.publish_topic);
    EXPECT_EQ(sub.expected_publishers_begin, k);
    EXPECT_EQ(sub.expected_publishers_end, k + 1);
  }
  EXPECT_EQ(plan->clients[4].client_id, "c-4");
  EXPECT_EQ(plan->clients[4].thread_index, 0u);
  EXPECT_EQ(plan->clients[5].thread_index, 1u);
}

TEST(RunPlanTest, FaninHasOneWildcardSubscriberHearingEveryone) {
  absl::StatusOr<RunPlan> plan = BuildRunPlan(ConfigFor(Scenario::kFanin, 4));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 5u);
  const ClientPlan& sub = plan->clients[4];
  EXPECT_EQ(sub.subscribe_filter, "rmqb/fanin/+");
  EXPECT_EQ(sub.expected_publishers_begin, 0u);
  EXPECT_EQ(sub.expected_publishers_end, 4u);
  EXPECT_EQ(plan->receivers_per_publisher, 1u);
}

TEST(RunPlanTest, SubscriberThreadsHoldOnlySubscribers) {
  BenchConfig config = ConfigFor(Scenario::kPairs, 4, 2);
  config.subscriber_threads = 3;
  absl::StatusOr<RunPlan> plan = BuildRunPlan(config);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 8u);
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(plan->clients[k].thread_index, k % 2) << "publisher " << k;
    EXPECT_EQ(plan->clients[4 + k].thread_index, 2 + k % 3) << "subscriber " << k;
  }
}

TEST(RunPlanTest, FanoutHasOnePublisherAndNReceivers) {
  absl::StatusOr<RunPlan> plan = BuildRunPlan(ConfigFor(Scenario::kFanout, 10));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 11u);
  EXPECT_EQ(plan->publisher_count, 1u);
  EXPECT_EQ(plan->receivers_per_publisher, 10u);
  EXPECT_EQ(plan->clients[0].publish_topic, "rmqb/fanout");
  EXPECT_EQ(plan->clients[10].subscribe_filter, "rmqb/fanout");
  EXPECT_EQ(plan->clients[10].expected_publishers_end, 1u);
}

TEST(RunPlanTest, ConnIsIdleConnections) {
  absl::StatusOr<RunPlan> plan = BuildRunPlan(ConfigFor(Scenario::kConn, 7));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 7u);
  for (const ClientPlan& c : plan->clients) {
    EXPECT_FALSE(c.is_publisher());
    EXPECT_FALSE(c.is_subscriber());
  }
}

TEST(RunPlanTest, PubAndSubUseTheTopicTemplate) {
  BenchConfig pub = ConfigFor(Scenario::kPub, 2, 2);
  pub.topic = "x/%t/%i";
  absl::StatusOr<RunPlan> pubs = BuildRunPlan(pub);
  ASSERT_TRUE(pubs.ok());
  EXPECT_EQ(pubs->clients[1].publish_topic, "x/1/1");
  EXPECT_EQ(pubs->receivers_per_publisher, 0u);

  BenchConfig sub = ConfigFor(Scenario::kSub, 2);
  sub.topic = "x/+/%i";
  absl::StatusOr<RunPlan> subs = BuildRunPlan(sub);
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ(subs->clients[1].subscribe_filter, "x/+/1");
  EXPECT_EQ(subs->clients[1].expected_publishers_end, 0u);  // unknown publishers
}

TEST(RunPlanTest, PublishTopicCannotHaveWildcards) {
  BenchConfig pub = ConfigFor(Scenario::kPub, 1);
  pub.topic = "x/#";
  EXPECT_FALSE(BuildRunPlan(pub).ok());
}

}  // namespace
}  // namespace ringmq::bench
