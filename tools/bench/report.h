// The end-of-run report of ringmq-bench: a human-readable table and one JSON line, both for stdout.
//
// Thread ownership: plain values, built and printed by the main thread after the workers are joined.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tools/bench/run_totals.h"

namespace ringmq::bench {

struct BrokerFigures {
  double cpu_seconds = 0;   // broker CPU time used during the measurement window
  double connect_cpu_seconds = 0;  // broker CPU time used while the connections were set up
  int64_t rss_before_kb = 0;  // before the first connection
  int64_t rss_after_kb = 0;   // at the end of the measurement window
};

struct RunReport {
  std::string_view scenario;
  std::string_view transport = "tcp";
  uint32_t clients = 0;
  uint32_t connections = 0;
  uint32_t threads = 0;
  uint32_t subscriber_threads = 0;
  int protocol = 4;
  int qos = 0;
  uint32_t size = 0;
  double measured_seconds = 0;
  RunTotals totals;
  std::optional<BrokerFigures> broker;

  double sent_per_second() const;
  double received_per_second() const;
  double connects_per_second() const;
  // Delivered messages (receptions in the measurement window) per broker CPU-second; 0 if unknown.
  double deliveries_per_broker_cpu_second() const;
  double broker_rss_per_connection_kb() const;
  // Connections set up (CONNECT, CONNACK and the subscriptions) per broker CPU-second; 0 if unknown.
  double connects_per_broker_cpu_second() const;
};

std::string FormatTable(const RunReport& report);
// One line, no trailing newline, starting with {"scenario":
std::string FormatJson(const RunReport& report);

}  // namespace ringmq::bench
