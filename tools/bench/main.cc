// ringmq-bench: an io_uring MQTT 3.1.1/5.0 load generator. Flags: tools/bench/bench_flags.cc, or
// `ringmq-bench --help`. Prints a progress line per second on stderr, then a table and one JSON line
// on stdout; the exit status is described in tools/bench/run_driver.h.
#include <cstdio>
#include <string>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "net/log.h"
#include "tools/bench/bench_flags.h"
#include "tools/bench/report.h"
#include "tools/bench/run_driver.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "MQTT load generator for ringmq and any MQTT 3.1.1/5.0 broker.\n"
      "  ringmq-bench --scenario pairs --clients 100 --qos 1 --size 64 --duration 10 --e2e_window 100\n"
      "Exit status: 0 ok, 1 bad flags or setup, 2 a connection failed, 3 QoS 1/2 loss with "
      "--expect_no_loss, 4 the broker dropped connections during the run.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view path) { return absl::StrContains(path, "tools/bench/"); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  // The broker's io_uring wrapper logs how it set the ring up; the load generator's stderr is for its
  // progress and its problems only.
  ringmq::SetLogLevel(ringmq::LogLevel::kWarning);

  absl::StatusOr<ringmq::bench::BenchConfig> config = ringmq::bench::ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "ringmq-bench: %s\n", std::string(config.status().message()).c_str());
    return ringmq::bench::kExitUsage;
  }
  absl::StatusOr<ringmq::bench::RunOutcome> outcome = ringmq::bench::ExecuteRun(*config);
  if (!outcome.ok()) {
    std::fprintf(stderr, "ringmq-bench: %s\n", std::string(outcome.status().message()).c_str());
    return ringmq::bench::kExitUsage;
  }
  std::fputs(ringmq::bench::FormatTable(outcome->report).c_str(), stdout);
  std::puts(ringmq::bench::FormatJson(outcome->report).c_str());
  return outcome->exit_code;
}
