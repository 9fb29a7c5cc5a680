#include "net/bridge/bridge_config.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<std::vector<BridgeConfig>> parsed = ParseBridgeFile(text);
  return parsed.ok() ? std::string("parsed") : std::string(parsed.status().message());
}

TEST(BridgeFile, ReadsMosquittoSyntax) {
  absl::StatusOr<std::vector<BridgeConfig>> parsed = ParseBridgeFile(R"(
# comment
connection cloud
address broker.example:8883
bridge_protocol_version mqttv50
remote_clientid edge-7
remote_username edge
remote_password pw
cleansession true
keepalive_interval 30
restart_timeout 2 60
try_private false
bridge_cafile /etc/ca.pem
bridge_certfile /etc/c.pem
bridge_keyfile /etc/c.key
bridge_insecure true
max_inflight_messages 50
topic sensors/# out 1 site/ fleet/site7/
topic cmd/# in 2 "" fleet/site7/
topic state both
topic "" in 0 local/alarm remote/alarm

connection second
address 10.0.0.2
topic # out
)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  const BridgeConfig& cloud = (*parsed)[0];
  EXPECT_EQ(cloud.name, "cloud");
  EXPECT_EQ(cloud.host, "broker.example");
  EXPECT_EQ(cloud.port, 8883);
  EXPECT_TRUE(cloud.mqtt5);
  EXPECT_EQ(cloud.remote_client_id, "edge-7");
  EXPECT_EQ(cloud.local_client_id, "$bridge/cloud");
  EXPECT_EQ(cloud.username, "edge");
  EXPECT_EQ(cloud.password, "pw");
  EXPECT_TRUE(cloud.clean_session);
  EXPECT_EQ(cloud.keepalive_s, 30);
  EXPECT_EQ(cloud.retry_base_ms, 2000u);
  EXPECT_EQ(cloud.retry_cap_ms, 60000u);
  EXPECT_FALSE(cloud.try_private);
  EXPECT_TRUE(cloud.tls());
  EXPECT_EQ(cloud.cert_file, "/etc/c.pem");
  EXPECT_TRUE(cloud.insecure);
  EXPECT_EQ(cloud.max_inflight, 50);
  ASSERT_EQ(cloud.topics.size(), 4u);
  EXPECT_EQ(cloud.topics[0], (BridgeTopic{"sensors/#", BridgeDirection::kOut, 1, "site/", "fleet/site7/"}));
  EXPECT_EQ(cloud.topics[1], (BridgeTopic{"cmd/#", BridgeDirection::kIn, 2, "", "fleet/site7/"}));
  EXPECT_EQ(cloud.topics[2], (BridgeTopic{"state", BridgeDirection::kBoth, 0, "", ""}));
  EXPECT_EQ(cloud.topics[3].LocalFilter(), "local/alarm");
  EXPECT_EQ(cloud.topics[3].RemoteFilter(), "remote/alarm");

  const BridgeConfig& second = (*parsed)[1];
  EXPECT_EQ(second.port, 1883);  // mosquitto's defaults
  EXPECT_FALSE(second.mqtt5);
  EXPECT_FALSE(second.clean_session);
  EXPECT_TRUE(second.try_private);
  EXPECT_EQ(second.keepalive_s, 60);
  EXPECT_EQ(second.retry_base_ms, 5000u);
  EXPECT_EQ(second.retry_cap_ms, 30000u);
  EXPECT_EQ(second.remote_client_id, "ringmq-bridge.second");
  EXPECT_EQ(second.topics[0].direction, BridgeDirection::kOut);
  EXPECT_FALSE(second.tls());
}

TEST(BridgeFile, OneRestartValueIsAConstantWait) {
  absl::StatusOr<std::vector<BridgeConfig>> parsed =
      ParseBridgeFile("connection a\naddress h\ntopic x\nrestart_timeout 7\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].retry_base_ms, 7000u);
  EXPECT_EQ((*parsed)[0].retry_cap_ms, 7000u);
}

TEST(BridgeFile, ErrorsNameTheLineAndTheFault) {
  EXPECT_EQ(ErrorOf("address h\n"), "line 1: address before the first `connection` line");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x sideways\n"),
            "line 3: topic: direction must be in, out or both, not sideways");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x out 3\n"), "line 3: topic: qos must be 0, 1 or 2, not 3");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x out 1 a/+/ b/\n"), "line 3: topic: a prefix may not hold + or #");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x out 1 onlyone\n"),
            "line 3: topic takes PATTERN [DIRECTION [QOS [LOCAL_PREFIX REMOTE_PREFIX]]]");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic a/#/b\n"), "line 3: topic: a/#/b is not a valid topic filter");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic \"\" out 0 \"\" r/\n"),
            "line 3: topic: an empty pattern needs both prefixes (they then name the topic)");
  EXPECT_EQ(ErrorOf("connection a\ntopic x\n"), "line 1: bridge a: no address");
  EXPECT_EQ(ErrorOf("connection a\naddress h\n"), "line 1: bridge a: no topic line");
  EXPECT_EQ(ErrorOf("connection a\naddress h:0\n"), "line 2: address: bad port in h:0");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nconnection a\n"), "line 4: bridge a is defined twice");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\ncleansession maybe\n"), "line 4: expected true or false");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nfrobnicate 1\n"), "line 4: unknown bridge option frobnicate");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nbridge_protocol_version mqttv31\n"),
            "line 4: bridge_protocol_version must be mqttv311 or mqttv50");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nremote_password p\n"),
            "line 1: bridge a: remote_password without remote_username");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nbridge_cafile c\nbridge_certfile x\n"),
            "line 1: bridge a: bridge_certfile and bridge_keyfile go together");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nbridge_certfile x\nbridge_keyfile y\n"),
            "line 1: bridge a: a client certificate needs bridge_cafile (TLS)");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nkeepalive_interval 2\n"),
            "line 4: keepalive_interval must be 5 to 65535 seconds");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nrestart_timeout 9 3\n"),
            "line 4: restart_timeout takes BASE [CAP] seconds, 1 to 86400, CAP >= BASE");
  EXPECT_EQ(ErrorOf("connection a\naddress h\ntopic x\nlocal_clientid same\n"
                    "connection b\naddress h\ntopic x\nlocal_clientid same\n"),
            "line 5: bridge b: local_clientid used by another bridge");
}

}  // namespace
}  // namespace ringmq
