// The CONNACK capability properties follow the flags.
#include "net/server_capabilities.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(ServerCapabilities, DefaultsAnnounceEverythingSupported) {
  const BrokerConfig config;
  Properties props;
  AddCapabilityProperties(config, props);
  EXPECT_EQ(props.receive_maximum, 256);
  EXPECT_FALSE(props.maximum_qos.has_value());  // absent means QoS 2; 2 itself may not be sent
  EXPECT_EQ(props.retain_available, 1);
  EXPECT_EQ(props.maximum_packet_size, 1u << 20);
  EXPECT_EQ(props.topic_alias_maximum, 64);
  EXPECT_EQ(props.wildcard_subscription_available, 1);
  EXPECT_EQ(props.subscription_identifier_available, 1);
  EXPECT_EQ(props.shared_subscription_available, SharedSubscriptionsAvailable() ? 1 : 0);
}

TEST(ServerCapabilities, LimitsAreAnnounced) {
  BrokerConfig config;
  config.max_qos = 0;
  config.retain_available = false;
  config.wildcard_subscriptions = false;
  config.subscription_identifiers = false;
  config.max_topic_alias = 0;
  config.max_packet_size = 4096;
  config.max_inflight = 100000;
  Properties props;
  AddCapabilityProperties(config, props);
  EXPECT_EQ(props.maximum_qos, 0);
  EXPECT_EQ(props.retain_available, 0);
  EXPECT_EQ(props.wildcard_subscription_available, 0);
  EXPECT_EQ(props.subscription_identifier_available, 0);
  EXPECT_FALSE(props.topic_alias_maximum.has_value());  // absent means 0
  EXPECT_EQ(props.maximum_packet_size, 4096u);
  EXPECT_EQ(props.receive_maximum, 65535);  // capped to what the property can carry
}

TEST(ServerCapabilities, LeavesOtherPropertiesAlone) {
  Properties props;
  props.assigned_client_identifier = "id";
  props.server_keep_alive = 30;
  AddCapabilityProperties(BrokerConfig{}, props);
  EXPECT_EQ(props.assigned_client_identifier, "id");
  EXPECT_EQ(props.server_keep_alive, 30);
}

TEST(ServerCapabilities, ReceiveMaximumFollowsMaxInflight) {
  BrokerConfig config;
  config.max_inflight = 7;
  EXPECT_EQ(AnnouncedReceiveMaximum(config), 7);
}

}  // namespace
}  // namespace ringmq
