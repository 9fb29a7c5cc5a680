#include "tools/bench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringmq::bench {
namespace {

double PerSecond(uint64_t count, double seconds) { return seconds > 0 ? count / seconds : 0.0; }

double Us(int64_t ns) { return ns / 1000.0; }

struct Percentiles {
  double p50, p90, p99, p999, max, mean;
};

Percentiles LatencyUs(const LatencyHistogram& h) {
  return {Us(h.ValueAtQuantile(0.50)), Us(h.ValueAtQuantile(0.90)), Us(h.ValueAtQuantile(0.99)),
          Us(h.ValueAtQuantile(0.999)), Us(h.max_ns()), h.mean_ns() / 1000.0};
}

}  // namespace

double RunReport::sent_per_second() const { return PerSecond(totals.sent_measured, measured_seconds); }

double RunReport::received_per_second() const { return PerSecond(totals.received_measured, measured_seconds); }

double RunReport::connects_per_second() const {
  if (totals.connected == 0 || totals.last_connack_ns <= totals.first_connect_ns) return 0;
  return PerSecond(totals.connected, (totals.last_connack_ns - totals.first_connect_ns) / 1e9);
}

double RunReport::deliveries_per_broker_cpu_second() const {
  if (!broker.has_value() || broker->cpu_seconds <= 0) return 0;
  return totals.received_measured / broker->cpu_seconds;
}

double RunReport::connects_per_broker_cpu_second() const {
  if (!broker.has_value() || broker->connect_cpu_seconds <= 0) return 0;
  return totals.connected / broker->connect_cpu_seconds;
}

double RunReport::broker_rss_per_connection_kb() const {
  if (!broker.has_value() || totals.connected == 0) return 0;
  return static_cast<double>(broker->rss_after_kb - broker->rss_before_kb) / totals.connected;
}

std::string FormatTable(const RunReport& r) {
  const RunTotals& t = r.totals;
  const Percentiles lat = LatencyUs(t.latency);
  std::string out = absl::StrFormat(
      "ringmq-bench  scenario=%s transport=%s clients=%u connections=%u threads=%u+%u mqtt=%d qos=%d size=%u\n",
      r.scenario, r.transport, r.clients, r.connections, r.threads, r.subscriber_threads, r.protocol, r.qos, r.size);
  absl::StrAppendFormat(&out, "  %-22s %12.1f s\n", "measured", r.measured_seconds);
  absl::StrAppendFormat(&out, "  %-22s %12u   (%.0f connects/s, %u failed)\n", "connected", t.connected,
                        r.connects_per_second(), t.failed);
  if (t.tls_full_handshakes + t.tls_resumed > 0) {
    absl::StrAppendFormat(&out, "  %-22s %12u   full, %u resumed\n", "tls handshakes", t.tls_full_handshakes,
                          t.tls_resumed);
  }
  absl::StrAppendFormat(&out, "  %-22s %12u   (%.0f msg/s measured)\n", "sent", t.sent, r.sent_per_second());
  absl::StrAppendFormat(&out, "  %-22s %12u   (%.0f msg/s measured)\n", "received", t.received,
                        r.received_per_second());
  absl::StrAppendFormat(&out, "  %-22s %12u\n", "lost", t.lost);
  absl::StrAppendFormat(&out, "  %-22s %12u   (after the last one received from their publisher)\n",
                        "unfinished at the end", t.unfinished);
  absl::StrAppendFormat(&out, "  %-22s %12u\n", "duplicated", t.duplicates);
  absl::StrAppendFormat(&out, "  %-22s %12u\n", "reordered", t.reordered);
  absl::StrAppendFormat(&out, "  %-22s %12u\n", "errors", t.errors);
  if (t.stale + t.foreign + t.window_timeouts > 0) {
    absl::StrAppendFormat(&out, "  %-22s %12u   (foreign %u, e2e window timeouts %u)\n", "stale (old run)",
                          t.stale, t.foreign, t.window_timeouts);
  }
  absl::StrAppendFormat(&out, "  %-22s %12u samples\n", "latency (us)", t.latency.count());
  absl::StrAppendFormat(&out, "    p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n", lat.p50,
                        lat.p90, lat.p99, lat.p999, lat.max, lat.mean);
  if (r.broker.has_value()) {
    absl::StrAppendFormat(&out, "  %-22s %12.2f s   (%.0f delivered msg per broker CPU-second)\n", "broker cpu",
                          r.broker->cpu_seconds, r.deliveries_per_broker_cpu_second());
    absl::StrAppendFormat(&out, "  %-22s %12.2f s   (%.0f connects per broker CPU-second)\n", "broker cpu (connect)",
                          r.broker->connect_cpu_seconds, r.connects_per_broker_cpu_second());
    absl::StrAppendFormat(&out, "  %-22s %12d kB   (%+d kB since start, %.2f kB per connection)\n", "broker rss",
                          r.broker->rss_after_kb, r.broker->rss_after_kb - r.broker->rss_before_kb,
                          r.broker_rss_per_connection_kb());
  }
  return out;
}

std::string FormatJson(const RunReport& r) {
  const RunTotals& t = r.totals;
  const Percentiles lat = LatencyUs(t.latency);
  std::string out = absl::StrFormat(
      "{\"scenario\":\"%s\",\"clients\":%u,\"connections\":%u,\"threads\":%u,\"subscriber_threads\":%u,"
      "\"protocol\":%d,\"qos\":%d,\"size\":%u,\"duration_s\":%.3f,\"connected\":%u,\"failed\":%u,"
      "\"sent\":%u,\"received\":%u,\"lost\":%u,\"unfinished\":%u,\"dup\":%u,\"reordered\":%u,"
      "\"stale\":%u,\"errors\":%u,\"transport\":\"%s\",\"tls_full_handshakes\":%u,\"tls_resumed\":%u,",
      r.scenario, r.clients, r.connections, r.threads, r.subscriber_threads, r.protocol, r.qos, r.size,
      r.measured_seconds, t.connected, t.failed, t.sent, t.received, t.lost, t.unfinished, t.duplicates,
      t.reordered, t.stale, t.errors, r.transport, t.tls_full_handshakes, t.tls_resumed);
  absl::StrAppendFormat(&out,
                        "\"sent_per_s\":%.1f,\"received_per_s\":%.1f,\"connects_per_s\":%.1f,"
                        "\"latency_samples\":%u,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
                        "\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f",
                        r.sent_per_second(), r.received_per_second(), r.connects_per_second(), t.latency.count(),
                        lat.p50, lat.p90, lat.p99, lat.p999, lat.max, lat.mean);
  if (r.broker.has_value()) {
    absl::StrAppendFormat(&out,
                          ",\"broker_cpu_s\":%.3f,\"msgs_per_broker_cpu_s\":%.1f,\"broker_rss_kb\":%d,"
                          "\"broker_rss_per_conn_kb\":%.3f,\"broker_connect_cpu_s\":%.3f,"
                          "\"connects_per_broker_cpu_s\":%.1f",
                          r.broker->cpu_seconds, r.deliveries_per_broker_cpu_second(), r.broker->rss_after_kb,
                          r.broker_rss_per_connection_kb(), r.broker->connect_cpu_seconds,
                          r.connects_per_broker_cpu_second());
  }
  out += "}";
  return out;
}

}  // namespace ringmq::bench
