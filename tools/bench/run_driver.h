// RunDriver: the main thread's side of a ringmq-bench run. It starts the workers, steps the shared
// phase (connecting, warm-up, measurement, drain, stop), prints the progress line every second,
// samples the broker process, and merges the workers' totals into the final report.
//
// Thread ownership: lives on the main thread; the workers it starts are joined before it returns.
#pragma once

#include "absl/status/statusor.h"
#include "tools/bench/bench_config.h"
#include "tools/bench/report.h"

namespace ringmq::bench {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,          // bad flags, or the run could not be set up
  kExitConnectFailed = 2,  // some connection or subscription did not succeed
  kExitLoss = 3,           // --expect_no_loss and a QoS 1/2 message was lost
  kExitDisconnected = 4,   // the broker dropped connections during the run
};

struct RunOutcome {
  RunReport report;
  ExitCode exit_code = kExitOk;
};

// Runs the whole benchmark. An error status means it could not start (address, io_uring ...).
absl::StatusOr<RunOutcome> ExecuteRun(const BenchConfig& config);

}  // namespace ringmq::bench
