#include "tools/bench/bench_config.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(BenchConfigTest, ScenarioNamesRoundTrip) {
  for (std::string_view name : {"pairs", "fanin", "fanout", "conn", "pub", "sub"}) {
    absl::StatusOr<Scenario> scenario = ParseScenario(name);
    ASSERT_TRUE(scenario.ok()) << name;
    EXPECT_EQ(ScenarioName(*scenario), name);
  }
  EXPECT_FALSE(ParseScenario("storm").ok());
}

TEST(BenchConfigTest, TransportNamesRoundTrip) {
  for (std::string_view name : {"tcp", "tls", "ws", "wss"}) {
    absl::StatusOr<Transport> transport = ParseTransport(name);
    ASSERT_TRUE(transport.ok()) << name;
    EXPECT_EQ(TransportName(*transport), name);
  }
  EXPECT_FALSE(ParseTransport("mqtts").ok());
  EXPECT_TRUE(UsesTls(Transport::kTls) && UsesTls(Transport::kWss));
  EXPECT_FALSE(UsesTls(Transport::kTcp) || UsesTls(Transport::kWs));
}

TEST(BenchConfigTest, TlsFlagsNeedATlsTransportAndCertificatesTheirKey) {
  BenchConfig config;
  config.tls_ca_file = "ca.pem";
  EXPECT_FALSE(Validate(config).ok()) << "tcp with a CA file";
  config.transport = Transport::kWs;
  EXPECT_FALSE(Validate(config).ok()) << "ws with a CA file";
  config.transport = Transport::kWss;
  EXPECT_TRUE(Validate(config).ok());
  config.tls_cert_file = "client.pem";
  EXPECT_FALSE(Validate(config).ok()) << "certificate without key";
  config.tls_key_file = "client.key";
  EXPECT_TRUE(Validate(config).ok());
  config.transport = Transport::kTcp;
  config.tls_ca_file = config.tls_cert_file = config.tls_key_file = "";
  config.tls_session_resumption = true;
  EXPECT_FALSE(Validate(config).ok()) << "resumption without TLS";
}

TEST(BenchConfigTest, WebSocketPathMustBeAnAbsolutePathWithoutBreaks) {
  BenchConfig config;
  config.transport = Transport::kWs;
  for (std::string_view bad : {"", "mqtt", "/a b", "/a\r\nX: y"}) {
    config.ws_path = bad;
    EXPECT_FALSE(Validate(config).ok()) << bad;
  }
  config.ws_path = "/mqtt/v1";
  EXPECT_TRUE(Validate(config).ok());
}

TEST(BenchConfigTest, ConnectionCountPerScenario) {
  BenchConfig config;
  config.clients = 10;
  config.scenario = Scenario::kPairs;
  EXPECT_EQ(ConnectionCount(config), 20u);
  config.scenario = Scenario::kFanin;
  EXPECT_EQ(ConnectionCount(config), 11u);
  config.scenario = Scenario::kFanout;
  EXPECT_EQ(ConnectionCount(config), 11u);
  config.scenario = Scenario::kConn;
  EXPECT_EQ(ConnectionCount(config), 10u);
}

TEST(BenchConfigTest, DefaultsAreValid) { EXPECT_TRUE(Validate(BenchConfig{}).ok()); }

TEST(BenchConfigTest, RejectsPayloadTooSmallForTheStamp) {
  BenchConfig config;
  config.size = 19;
  EXPECT_FALSE(Validate(config).ok());
  config.size = 20;
  EXPECT_TRUE(Validate(config).ok());
}

TEST(BenchConfigTest, RejectsBadCombinations) {
  BenchConfig config;
  config.qos = 1;
  config.inflight = 0;
  EXPECT_FALSE(Validate(config).ok());

  config = BenchConfig{};
  config.threads = 3;  // pairs of 1 client = 2 connections
  EXPECT_FALSE(Validate(config).ok());

  config = BenchConfig{};
  config.scenario = Scenario::kPub;
  config.e2e_window = 10;
  EXPECT_FALSE(Validate(config).ok());

  config = BenchConfig{};
  config.password = "secret";
  EXPECT_FALSE(Validate(config).ok());
  config.protocol = ProtocolVersion::kV5;
  EXPECT_TRUE(Validate(config).ok());

  config = BenchConfig{};
  config.duration = absl::ZeroDuration();
  EXPECT_FALSE(Validate(config).ok());
}

TEST(BenchConfigTest, SubscriberThreadsNeedSubscribersAndPublishersToSpare) {
  BenchConfig config;
  config.scenario = Scenario::kFanin;
  config.clients = 4;
  config.threads = 4;
  config.subscriber_threads = 1;
  EXPECT_TRUE(Validate(config).ok());
  EXPECT_EQ(WorkerCount(config), 5u);
  config.subscriber_threads = 2;  // one fan-in subscriber
  EXPECT_FALSE(Validate(config).ok());
  config.subscriber_threads = 1;
  config.threads = 5;  // more publisher threads than publishers
  EXPECT_FALSE(Validate(config).ok());

  config = BenchConfig{};
  config.scenario = Scenario::kFanout;
  config.clients = 10;
  config.threads = 2;  // one fan-out publisher
  config.subscriber_threads = 2;
  EXPECT_FALSE(Validate(config).ok());
  config.threads = 1;
  EXPECT_TRUE(Validate(config).ok());

  config.scenario = Scenario::kSub;
  EXPECT_FALSE(Validate(config).ok());
}

}  // namespace
}  // namespace ringmq::bench
