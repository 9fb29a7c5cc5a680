// Broker probe: samples a process's CPU time and resident memory from /proc, so ringmq-bench can
// report delivered messages per broker CPU-second and RSS per connection - figures that stay
// meaningful when the load generator competes with the broker for the same cores.
//
// Thread ownership: stateless functions; used by the main thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringmq::bench {

struct ProcessSample {
  double cpu_seconds = 0;  // utime + stime
  int64_t rss_kb = 0;      // VmRSS
};

absl::StatusOr<ProcessSample> SampleProcess(int pid);

// Parsers of /proc/PID/stat and /proc/PID/status text, exposed for tests.
absl::StatusOr<double> ParseStatCpuSeconds(std::string_view stat, long clock_ticks_per_second);
absl::StatusOr<int64_t> ParseStatusRssKb(std::string_view status);

}  // namespace ringmq::bench
