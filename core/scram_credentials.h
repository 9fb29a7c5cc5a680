// SCRAM-SHA-256 credentials: what the broker stores per user instead of a password (RFC 5802 section 3:
// the salt, the iteration count, StoredKey = H(ClientKey) and ServerKey), and the --scram_file text
// format, one user per line in PostgreSQL's verifier form:
//
//   user:SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
//
// with '#' comment lines and blank lines. Neither key lets anyone log in (StoredKey is a hash of the
// key the client proves it has), but ServerKey lets its holder impersonate the broker: keep the file
// private (ringmq-scram-passwd writes it with mode 0600).
//
// Names and passwords are limited to printable ASCII: SASLprep (RFC 4013), which SCRAM requires, leaves
// those unchanged, so the bytes hashed here are the ones any conforming client hashes. Other characters
// are refused rather than normalised (no stringprep tables are implemented); user names may not
// contain spaces or ':' (the field separator).
//
// Thread ownership: a ScramCredentials is immutable once built; the broker shares one among all
// shards (std::shared_ptr<const ScramCredentials>) and reads it concurrently without locks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringmq {

// RFC 7677: "the iteration count ... SHOULD be at least 4096". Lower counts are refused; the upper
// bound keeps a typo from making every client spin for minutes.
inline constexpr uint32_t kScramMinIterations = 4096;
inline constexpr uint32_t kScramMaxIterations = 10'000'000;
inline constexpr std::string_view kScramMechanism = "SCRAM-SHA-256";

struct ScramVerifier {
  uint32_t iterations = kScramMinIterations;
  std::string salt;        // raw bytes
  std::string stored_key;  // 32 bytes: SHA-256(ClientKey)
  std::string server_key;  // 32 bytes
};

// What a user's password becomes (RFC 5802 section 3). Slow on purpose: `iterations` rounds of PBKDF2.
ScramVerifier DeriveScramVerifier(std::string_view password, std::string_view salt, uint32_t iterations);

// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", and the reverse.
std::string FormatScramVerifier(const ScramVerifier& verifier);
absl::StatusOr<ScramVerifier> ParseScramVerifier(std::string_view text);

// OK when `name` may be a SCRAM user name here: 1..256 printable ASCII characters, no space or ':'.
absl::Status CheckScramUserName(std::string_view name);
// OK when `password` is 1..1024 printable ASCII characters (spaces allowed).
absl::Status CheckScramPassword(std::string_view password);

class ScramCredentials {
 public:
  using UserMap = absl::flat_hash_map<std::string, ScramVerifier>;

  // `mock_secret` keys the made-up verifiers of unknown users (MockVerifierFor).
  ScramCredentials(UserMap users, std::string mock_secret);

  // The user's verifier, or nullptr when there is no such user.
  const ScramVerifier* Find(std::string_view user) const;
  // A verifier for a user who does not exist, the same for the same name every time and, without the
  // secret, indistinguishable from a real one (salt of the usual size, the usual iteration count): an
  // exchange for an unknown name then looks like one with a wrong password, so the exchange does not
  // reveal which users exist. Its keys match no password.
  ScramVerifier MockVerifierFor(std::string_view user) const;
  size_t size() const { return users_.size(); }

 private:
  UserMap users_;
  std::string mock_secret_;
  uint32_t mock_iterations_ = kScramMinIterations;  // the count most users have
  size_t mock_salt_size_ = 16;                      // the salt size most users have
};

// Parses --scram_file text. Errors name the line ("line 3: ..."). The mock secret is derived from the
// ServerKeys in the file, which a client never sees: it stays the same across restarts (and on every
// shard), so asking twice for an unknown name gets the same salt, as for a real one.
absl::StatusOr<ScramCredentials> ParseScramCredentials(std::string_view text);

// The user name of a credentials-file line, or empty for a comment or blank line (for tools that edit
// the file line by line).
std::string_view ScramLineUser(std::string_view line);

}  // namespace ringmq
