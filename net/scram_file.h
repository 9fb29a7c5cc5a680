// Reading --scram_file at start-up: the file's text goes to the pure parser in core/scram_credentials.h,
// and the result is shared read-only by every shard.
//
// Thread ownership: called once on the main thread before the shards start.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/scram_credentials.h"

namespace ringmq {

// The credentials in `path`; an error names the file and, for a bad line, its number.
absl::StatusOr<std::shared_ptr<const ScramCredentials>> LoadScramFile(const std::string& path);

}  // namespace ringmq
