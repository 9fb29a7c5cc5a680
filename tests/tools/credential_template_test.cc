#include "tools/bench/credential_template.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tools/bench/run_plan.h"

namespace ringmq::bench {
namespace {

TEST(CredentialTemplateTest, ReplacesThePlaceholderByTheConnectionIndex) {
  EXPECT_EQ(ExpandCredential("user{n}", 0), "user0");
  EXPECT_EQ(ExpandCredential("user{n}", 4999), "user4999");
  EXPECT_EQ(ExpandCredential("{n}", 17), "17");
}

TEST(CredentialTemplateTest, ReplacesEveryPlaceholder) {
  EXPECT_EQ(ExpandCredential("pw-{n}-{n}", 12), "pw-12-12");
}

TEST(CredentialTemplateTest, OtherTextIsKeptAsItIs) {
  EXPECT_EQ(ExpandCredential("bench", 3), "bench");
  EXPECT_EQ(ExpandCredential("{x}{", 3), "{x}{");
  EXPECT_EQ(ExpandCredential("{{n}}", 3), "{3}");
  EXPECT_EQ(ExpandCredential("", 3), "");
}

TEST(CredentialTemplateTest, EveryConnectionOfAConnStormGetsItsOwnUser) {
  BenchConfig config;
  config.scenario = Scenario::kConn;
  config.clients = 3;
  config.threads = 2;
  config.client_id_prefix = "c-";
  config.username = "u{n}";
  config.password = "p{n}";
  absl::StatusOr<RunPlan> plan = BuildRunPlan(config);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    EXPECT_EQ(plan->clients[k].username, absl::StrCat("u", k));
    EXPECT_EQ(plan->clients[k].password, absl::StrCat("p", k));
  }
}

TEST(CredentialTemplateTest, PairsNumberSubscribersAfterThePublishers) {
  BenchConfig config;
  config.scenario = Scenario::kPairs;
  config.clients = 2;
  config.client_id_prefix = "c-";
  config.username = "u{n}";
  absl::StatusOr<RunPlan> plan = BuildRunPlan(config);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->clients.size(), 4u);
  EXPECT_EQ(plan->clients[0].username, "u0");
  EXPECT_EQ(plan->clients[1].username, "u1");
  EXPECT_EQ(plan->clients[2].username, "u2");  // subscriber of publisher 0
  EXPECT_EQ(plan->clients[3].username, "u3");
  EXPECT_FALSE(plan->clients[0].password.has_value());  // no --password: none sent
}

TEST(CredentialTemplateTest, ASharedUsernameStaysTheSameForEveryone) {
  BenchConfig config;
  config.scenario = Scenario::kConn;
  config.clients = 2;
  config.client_id_prefix = "c-";
  config.username = "fleet";
  config.password = "secret";
  absl::StatusOr<RunPlan> plan = BuildRunPlan(config);
  ASSERT_TRUE(plan.ok());
  for (const ClientPlan& client : plan->clients) {
    EXPECT_EQ(client.username, "fleet");
    EXPECT_EQ(client.password, "secret");
  }
}

}  // namespace
}  // namespace ringmq::bench
