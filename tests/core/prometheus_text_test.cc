#include "core/prometheus_text.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringmq {
namespace {

TEST(PrometheusText, CounterWithLabelsAndHelp) {
  std::vector<MetricFamily> families(1);
  families[0].name = "ringmq_messages_received_total";
  families[0].type = MetricType::kCounter;
  families[0].help = "PUBLISH packets received from clients.";
  families[0].samples.push_back({{{"shard", "0"}, {"qos", "1"}}, uint64_t{42}});
  families[0].samples.push_back({{{"shard", "1"}, {"qos", "1"}}, uint64_t{18446744073709551615u}});
  EXPECT_EQ(FormatPrometheusText(families),
            "# HELP ringmq_messages_received_total PUBLISH packets received from clients.\n"
            "# TYPE ringmq_messages_received_total counter\n"
            "ringmq_messages_received_total{shard=\"0\",qos=\"1\"} 42\n"
            "ringmq_messages_received_total{shard=\"1\",qos=\"1\"} 18446744073709551615\n");
}

TEST(PrometheusText, GaugeWithoutLabelsSignedAndReal) {
  std::vector<MetricFamily> families(2);
  families[0].name = "ringmq_connections_open";
  families[0].help = "Sockets open.";
  families[0].samples.push_back({{}, int64_t{-3}});
  families[1].name = "ringmq_shard_loop_busy_seconds_total";
  families[1].type = MetricType::kCounter;
  families[1].help = "Busy time.";
  families[1].samples.push_back({{}, 1.5});
  families[1].samples.push_back({{{"shard", "1"}}, 0.000001});
  EXPECT_EQ(FormatPrometheusText(families),
            "# HELP ringmq_connections_open Sockets open.\n"
            "# TYPE ringmq_connections_open gauge\n"
            "ringmq_connections_open -3\n"
            "# HELP ringmq_shard_loop_busy_seconds_total Busy time.\n"
            "# TYPE ringmq_shard_loop_busy_seconds_total counter\n"
            "ringmq_shard_loop_busy_seconds_total 1.5\n"
            "ringmq_shard_loop_busy_seconds_total{shard=\"1\"} 1e-06\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  std::vector<MetricFamily> families(1);
  families[0].name = "x";
  families[0].help = "a \\ b\nc \"quoted\"";  // quotes stay as they are in HELP
  families[0].samples.push_back({{{"v", "q\"\\\nz"}}, uint64_t{1}});
  EXPECT_EQ(FormatPrometheusText(families),
            "# HELP x a \\\\ b\\nc \"quoted\"\n"
            "# TYPE x gauge\n"
            "x{v=\"q\\\"\\\\\\nz\"} 1\n");
}

TEST(PrometheusText, FamilyWithoutSamplesStillDescribed) {
  std::vector<MetricFamily> families(1);
  families[0].name = "ringmq_empty";
  families[0].help = "h";
  EXPECT_EQ(FormatPrometheusText(families), "# HELP ringmq_empty h\n# TYPE ringmq_empty gauge\n");
}

TEST(PrometheusText, NonFiniteValues) {
  std::vector<MetricFamily> families(1);
  families[0].name = "g";
  families[0].help = "h";
  families[0].samples.push_back({{}, 1.0 / 0.0});
  families[0].samples.push_back({{}, -1.0 / 0.0});
  families[0].samples.push_back({{}, 0.0 / 0.0});
  EXPECT_EQ(FormatPrometheusText(families), "# HELP g h\n# TYPE g gauge\ng +Inf\ng -Inf\ng NaN\n");
}

TEST(PrometheusText, Names) {
  EXPECT_TRUE(IsValidMetricName("ringmq_messages_received_total"));
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_FALSE(IsValidMetricName("9abc"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("shard"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

}  // namespace
}  // namespace ringmq
