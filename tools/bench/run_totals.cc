#include "tools/bench/run_totals.h"

#include <algorithm>

namespace ringmq::bench {

void RunTotals::Merge(const RunTotals& other) {
  connected += other.connected;
  failed += other.failed;
  errors += other.errors;
  sent += other.sent;
  sent_measured += other.sent_measured;
  received += other.received;
  received_measured += other.received_measured;
  lost += other.lost;
  unfinished += other.unfinished;
  duplicates += other.duplicates;
  reordered += other.reordered;
  stale += other.stale;
  foreign += other.foreign;
  window_timeouts += other.window_timeouts;
  tls_full_handshakes += other.tls_full_handshakes;
  tls_resumed += other.tls_resumed;
  first_connect_ns = std::min(first_connect_ns, other.first_connect_ns);
  last_connack_ns = std::max(last_connack_ns, other.last_connack_ns);
  latency.Merge(other.latency);
}

void WorkerProgress::PublishLatency(const LatencyHistogram& latency) {
  absl::MutexLock lock(&mutex_);
  latency_ = latency;
}

LatencyHistogram WorkerProgress::LatencySnapshot() const {
  absl::MutexLock lock(&mutex_);
  return latency_;
}

}  // namespace ringmq::bench
