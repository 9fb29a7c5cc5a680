// The edits ringmq-passwd makes to the text of a password file, as pure functions (the tool does the
// file I/O). Every line that is not the edited user's - comments, blank lines, other users, even
// lines ringmq would refuse - is kept byte for byte, so an operator's file stays theirs.
//
// A user line is what PasswordFile reads as one: not starting with '#', containing ':', the user
// being the trimmed text before the first ':'.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringmq {

// `text` with `line` (no line break) in place of the user's line: the first line of `user` is
// replaced, any later ones are dropped (PasswordFile refuses a user listed twice), and when the user
// is absent the line is appended.
std::string SetUserLine(std::string_view text, std::string_view user, std::string_view line);

// `text` without any line of `user`; NotFound when there is none.
absl::StatusOr<std::string> DeleteUser(std::string_view text, std::string_view user);

// Makes a line `user:$7$...` from a user and a plain-text password.
using LineHasher = std::function<std::string(std::string_view user, std::string_view password)>;

// `text` with every plain-text `user:password` line replaced by hash(user, password) (the password
// is the trimmed rest of the line, ':' included). Refuses, naming the line, a password that is
// already a hash (hashing it again would lock the user out) and an invalid user name.
absl::StatusOr<std::string> HashPlainTextLines(std::string_view text, const LineHasher& hash);

}  // namespace ringmq
