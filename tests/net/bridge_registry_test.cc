// BridgeRegistry: what a SIGHUP's bridge file publishes, by `connection` name (no sockets: plain TCP
// bridges, and a CA file that does not exist for the refused case).
#include "net/bridge/bridge_registry.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

BridgeConfig Bridge(std::string name, std::string pattern) {
  BridgeConfig config;
  config.name = name;
  config.host = "127.0.0.1";
  config.local_client_id = "$bridge/" + name;
  config.remote_client_id = "ringmq-bridge." + name;
  config.topics = {{std::move(pattern), BridgeDirection::kOut, 1, "", ""}};
  return config;
}

TEST(BridgeRegistryTest, PublishesADifferenceByNameAndKeepsEachBridgesStats) {
  BridgeRegistry registry;
  EXPECT_EQ(registry.generation(), 0u);
  ASSERT_TRUE(registry.Publish({Bridge("a", "a/#"), Bridge("b", "b/#")}, false).ok());
  EXPECT_EQ(registry.generation(), 1u);
  const std::shared_ptr<const BridgeSnapshot> first = registry.Current();
  ASSERT_EQ(first->bridges.size(), 2u);
  EXPECT_TRUE(first->bridges[0].previous_topics.empty());

  // The same file again: no new generation, the shards have nothing to do.
  ASSERT_TRUE(registry.Publish({Bridge("a", "a/#"), Bridge("b", "b/#")}, true).ok());
  EXPECT_EQ(registry.generation(), 1u);

  // a unchanged, b changed, c new; then a removed.
  ASSERT_TRUE(registry.Publish({Bridge("a", "a/#"), Bridge("b", "b2/#"), Bridge("c", "c/#")}, true).ok());
  EXPECT_EQ(registry.generation(), 2u);
  const std::shared_ptr<const BridgeSnapshot> second = registry.Current();
  ASSERT_EQ(second->bridges.size(), 3u);
  EXPECT_EQ(second->bridges[0].stats, first->bridges[0].stats);
  EXPECT_TRUE(second->bridges[0].previous_topics.empty());
  EXPECT_EQ(second->bridges[1].stats, first->bridges[1].stats);  // a changed bridge keeps its series
  EXPECT_EQ(second->bridges[1].previous_topics, Bridge("b", "b/#").topics);
  EXPECT_EQ(second->bridges[2].stats->name, "c");
  ASSERT_TRUE(registry.Publish({Bridge("b", "b2/#"), Bridge("c", "c/#")}, true).ok());
  EXPECT_EQ(registry.Current()->bridges.size(), 2u);
  std::vector<std::string> names;
  for (const BridgeStats* stats : registry.Stats()) names.push_back(stats->name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));  // a removed bridge's series stay

  // Changed again: the topics before that count too (a shard may not have applied the last change).
  ASSERT_TRUE(registry.Publish({Bridge("b", "b3/#")}, true).ok());
  std::vector<BridgeTopic> previous = Bridge("b", "b2/#").topics;
  previous.push_back(Bridge("b", "b/#").topics[0]);
  EXPECT_EQ(registry.Current()->bridges[0].previous_topics, previous);
}

TEST(BridgeRegistryTest, ABridgeWhoseCaDoesNotLoadRefusesTheWholeSet) {
  BridgeRegistry registry;
  ASSERT_TRUE(registry.Publish({Bridge("a", "a/#")}, false).ok());
  BridgeConfig tls = Bridge("t", "t/#");
  tls.ca_file = "/nonexistent/ca.pem";
  const absl::Status status = registry.Publish({Bridge("b", "b/#"), tls}, true);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("bridge t: "), std::string_view::npos) << status.message();
  EXPECT_EQ(registry.generation(), 1u);
  ASSERT_EQ(registry.Current()->bridges.size(), 1u);
  EXPECT_EQ(registry.Current()->bridges[0].config.name, "a");
}

}  // namespace
}  // namespace ringmq
