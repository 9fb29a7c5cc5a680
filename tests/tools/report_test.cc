#include "tools/bench/report.h"

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

RunReport SampleReport() {
  RunReport r;
  r.scenario = "pairs";
  r.clients = 10;
  r.connections = 20;
  r.threads = 2;
  r.subscriber_threads = 1;
  r.protocol = 5;
  r.qos = 1;
  r.size = 64;
  r.measured_seconds = 2.0;
  r.totals.connected = 20;
  r.totals.sent = 1000;
  r.totals.sent_measured = 800;
  r.totals.received = 990;
  r.totals.received_measured = 600;
  r.totals.lost = 10;
  r.totals.unfinished = 7;
  r.totals.duplicates = 2;
  r.totals.reordered = 3;
  r.totals.first_connect_ns = 1'000'000'000;
  r.totals.last_connack_ns = 1'500'000'000;
  for (int i = 0; i < 100; ++i) r.totals.latency.Record(100'000);
  return r;
}

TEST(ReportTest, DerivedRates) {
  RunReport r = SampleReport();
  EXPECT_DOUBLE_EQ(r.sent_per_second(), 400.0);
  EXPECT_DOUBLE_EQ(r.received_per_second(), 300.0);
  EXPECT_DOUBLE_EQ(r.connects_per_second(), 40.0);
  EXPECT_EQ(r.deliveries_per_broker_cpu_second(), 0.0);
  EXPECT_EQ(r.connects_per_broker_cpu_second(), 0.0);
  r.broker = BrokerFigures{.cpu_seconds = 0.5, .connect_cpu_seconds = 0.25, .rss_before_kb = 1000,
                           .rss_after_kb = 3000};
  EXPECT_DOUBLE_EQ(r.deliveries_per_broker_cpu_second(), 1200.0);
  EXPECT_DOUBLE_EQ(r.broker_rss_per_connection_kb(), 100.0);
  EXPECT_DOUBLE_EQ(r.connects_per_broker_cpu_second(), 80.0);
}

TEST(ReportTest, JsonIsOneLineWithTheListedFields) {
  RunReport r = SampleReport();
  const std::string json = FormatJson(r);
  EXPECT_EQ(json.rfind("{\"scenario\":\"pairs\",", 0), 0u);
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(json.find('\n'), std::string::npos);
  for (const char* field : {"\"clients\":10", "\"qos\":1", "\"size\":64", "\"sent\":1000", "\"received\":990",
                            "\"lost\":10", "\"unfinished\":7", "\"threads\":2", "\"subscriber_threads\":1",
                            "\"dup\":2", "\"reordered\":3", "\"sent_per_s\":400.0",
                            "\"received_per_s\":300.0", "\"connects_per_s\":40.0", "\"p99_us\":100.",
                            "\"errors\":0"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  EXPECT_EQ(json.find("broker_cpu_s"), std::string::npos);
  r.broker = BrokerFigures{.cpu_seconds = 0.5, .connect_cpu_seconds = 0.25, .rss_before_kb = 1000,
                           .rss_after_kb = 3000};
  EXPECT_NE(FormatJson(r).find("\"msgs_per_broker_cpu_s\":1200.0"), std::string::npos);
  EXPECT_NE(FormatJson(r).find("\"connects_per_broker_cpu_s\":80.0"), std::string::npos);
}

TEST(ReportTest, TableShowsCountsAndPercentiles) {
  const std::string table = FormatTable(SampleReport());
  EXPECT_NE(table.find("scenario=pairs"), std::string::npos);
  EXPECT_NE(table.find("lost"), std::string::npos);
  EXPECT_NE(table.find("unfinished at the end"), std::string::npos);
  EXPECT_NE(table.find("threads=2+1"), std::string::npos);
  EXPECT_NE(table.find("p99.9"), std::string::npos);
  EXPECT_NE(table.find("transport=tcp"), std::string::npos);
  EXPECT_EQ(table.find("tls handshakes"), std::string::npos) << "no TLS, no handshake line";
}

TEST(ReportTest, TlsHandshakesAreReported) {
  RunReport r = SampleReport();
  r.transport = "wss";
  r.totals.tls_full_handshakes = 3;
  r.totals.tls_resumed = 17;
  EXPECT_NE(FormatTable(r).find("tls handshakes                    3   full, 17 resumed"), std::string::npos)
      << FormatTable(r);
  const std::string json = FormatJson(r);
  EXPECT_NE(json.find("\"transport\":\"wss\",\"tls_full_handshakes\":3,\"tls_resumed\":17"), std::string::npos)
      << json;
}

}  // namespace
}  // namespace ringmq::bench
