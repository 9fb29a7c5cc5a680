// A mosquitto password file (`password_file`, written by mosquitto_passwd or ringmq-passwd), parsed
// once and then only read: who may log in with which password.
//
// Format, one user a line: `user:$7$<iterations>$<salt b64>$<hash b64>` or the legacy
// `user:$6$<salt b64>$<hash b64>` (see core/password_hash.h). As in mosquitto, lines starting with
// '#' and lines without ':' are skipped, and the line is split on its first ':' with both fields
// trimmed of whitespace. Unlike mosquitto 2.0, which drops a bad entry with a log line and starts
// anyway, any malformed user line fails the whole parse with its line number: a typo must not
// silently lock a device out (or, on reload, replace working rules). A user listed twice is an error
// too (mosquitto 2.0 keeps the first line and logs a notice, its development branch refuses the
// file): an operator who appends a new line to change a password would otherwise find the old one
// still working.
//
// Thread ownership: immutable after Parse; shared read-only by every shard thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/password_hash.h"

namespace ringmq {

// What ringmq-passwd writes unless told otherwise (-I). mosquitto 2.0 writes 101, 2.1 writes 1000;
// both read any count from the line.
inline constexpr int kDefaultPbkdf2Iterations = 1000;

class PasswordFile {
 public:
  static absl::StatusOr<PasswordFile> Parse(std::string_view text);

  bool Contains(std::string_view user) const { return users_.contains(absl::string_view(user.data(), user.size())); }
  size_t size() const { return users_.size(); }

  // True when `user` is listed and `password` hashes to its stored hash (compared in constant
  // time). An unknown user costs one hash of the file's most common kind, so the time taken does not
  // tell which users exist. Slow on purpose (PBKDF2): see CredentialCache for repeated logins.
  bool Verify(std::string_view user, std::string_view password) const;

  // Distinct for every successful Parse in the process, so a cache tied to one file can tell that it
  // is looking at another (a reload) even if the new one sits at the same address.
  uint64_t generation() const { return generation_; }

 private:
  PasswordFile() = default;

  absl::flat_hash_map<std::string, PasswordHash> users_;
  PasswordHash decoy_;  // hashed instead of a stored hash when the user is unknown
  uint64_t generation_ = 0;
};

// OK when `user` can be a password file's user name: not empty, at most 65535 bytes, no ':', no
// control characters (which also keeps a user from spanning lines).
absl::Status ValidatePasswordFileUser(std::string_view user);

// One `user:$7$<iterations>$<salt>$<hash>` line, without the line break, as mosquitto_passwd writes
// it. `salt` must be 12 bytes (readable by mosquitto 2.0 and 2.1) or 64 bytes (2.1 only).
std::string HashPasswordLine(std::string_view user, std::string_view password, int iterations,
                             std::span<const uint8_t> salt);

}  // namespace ringmq
