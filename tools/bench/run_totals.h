// RunTotals: the counters and latency histogram of a ringmq-bench run, per worker while it runs and
// merged over the workers at the end. WorkerProgress: the few live figures the main thread reads
// every second for the progress line.
//
// Thread ownership: a RunTotals belongs to one worker until that worker is joined. WorkerProgress is
// written by its worker and read by the main thread (atomics; the histogram snapshot under a mutex).
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tools/bench/histogram.h"

namespace ringmq::bench {

struct RunTotals {
  uint64_t connected = 0;         // connections that got a CONNACK
  uint64_t failed = 0;            // connections refused or broken before they were ready
  uint64_t errors = 0;            // failures after ready: broker disconnects, protocol errors, failed acks
  uint64_t sent = 0;              // PUBLISH sent over the whole run (warm-up included)
  uint64_t sent_measured = 0;     // ... stamped inside the measurement window
  uint64_t received = 0;          // messages received with a valid stamp of this run (dups included)
  uint64_t received_measured = 0; // ... arrived inside the measurement window
  uint64_t lost = 0;              // never received although a later message of its publisher was
  uint64_t unfinished = 0;        // sent after the last one received from its publisher, never received
                                  // by the end of the drain: in flight when the run stopped
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t stale = 0;             // stamped before the run started: retained or queued from earlier
  uint64_t foreign = 0;           // too short to carry a stamp: not published by ringmq-bench
  uint64_t window_timeouts = 0;   // e2e windows given up after a second without deliveries (QoS 0 loss)
  uint64_t tls_full_handshakes = 0;  // connections (CONNACK received) whose TLS handshake was a full one
  uint64_t tls_resumed = 0;          // ... that resumed a session
  int64_t first_connect_ns = INT64_MAX;  // first TCP connect issued
  int64_t last_connack_ns = 0;           // last CONNACK received
  LatencyHistogram latency;              // messages stamped inside the measurement window

  void Merge(const RunTotals& other);
};

class WorkerProgress {
 public:
  std::atomic<uint64_t> connected{0};
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> errors{0};

  void PublishLatency(const LatencyHistogram& latency) ABSL_LOCKS_EXCLUDED(mutex_);
  LatencyHistogram LatencySnapshot() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  mutable absl::Mutex mutex_;
  LatencyHistogram latency_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ringmq::bench
