// Reading the command line's flags again while the process runs (SIGHUP): the flags are rebuilt as
// the start-up parse built them (defaults, then every argument in order, each --flagfile read again at
// its place), a caller's function reads them, and the process's flags are put back as they were.
// Unlike absl::ParseCommandLine, a bad argument or file line is an error returned, never an exit.
//
// Follows Abseil's syntax: --name=value, --name value (not for bools), --name / --noname for bools,
// `--` ends the flags; a flag file holds one argument per line, blank lines and lines starting with
// '#' skipped, leading and trailing whitespace trimmed; --flagfile takes a comma-separated list and
// may be nested (at most kMaxFlagfileDepth deep).
//
// Thread ownership: the process's flags are global; call only from the thread that owns them (the
// main thread), while no other thread reads flags.
#pragma once

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringmq {

// Flag values as text (CommandLineFlag::CurrentValue), by flag name.
using FlagValues = absl::btree_map<std::string, std::string>;

inline constexpr int kMaxFlagfileDepth = 8;

// The current values of the flags defined in `defined_in` (CommandLineFlag::Filename()).
FlagValues CurrentFlagValues(absl::string_view defined_in);

// Rebuilds the flags defined in `defined_in` from their defaults and `args` (argv without the
// program name), then calls `read`; the process's flags are restored before returning. `reset` runs
// before the defaults are applied (for a flag type that accumulates occurrences). An unknown flag, a
// value its flag does not parse, a file that cannot be read or a line that is not a flag is an
// error naming the file and line.
absl::Status WithFlagsReread(const std::vector<std::string>& args, absl::string_view defined_in,
                             absl::FunctionRef<void()> reset, absl::FunctionRef<absl::Status()> read);

}  // namespace ringmq
