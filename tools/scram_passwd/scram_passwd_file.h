// Edits of a --scram_file's text for ringmq-scram-passwd: set or delete one user's line, keeping every
// other line (comments included) as it was. Pure: text in, text out; main.cc does the file I/O.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/scram_credentials.h"

namespace ringmq {

// `text` with `user`'s line replaced by (or, for a new user, followed by) user:<verifier>. A file that
// does not parse is refused (naming its bad line) rather than rewritten around the damage.
absl::StatusOr<std::string> SetScramUser(std::string_view text, std::string_view user, const ScramVerifier& verifier);

// `text` without `user`'s line; NotFound when there is none.
absl::StatusOr<std::string> DeleteScramUser(std::string_view text, std::string_view user);

}  // namespace ringmq
