// The command-line flags of ringmq-bench (Abseil flags) and their translation into a BenchConfig.
//
// Thread ownership: read once on the main thread after absl::ParseCommandLine.
#pragma once

#include "absl/status/statusor.h"
#include "tools/bench/bench_config.h"

namespace ringmq::bench {

// Builds and validates the configuration from the parsed flags.
absl::StatusOr<BenchConfig> ConfigFromFlags();

}  // namespace ringmq::bench
