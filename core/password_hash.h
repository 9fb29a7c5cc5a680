// One stored password of a mosquitto password file: the field after "user:".
//
//   $7$<iterations>$<salt b64>$<hash b64>  PBKDF2-HMAC-SHA512, 64-byte key (mosquitto 2.0 and later)
//   $6$<salt b64>$<hash b64>               SHA-512(password || salt), one round (mosquitto 1.x)
//
// Salts are 12 bytes (what mosquitto 2.0 writes and the only length it reads) or 64 bytes
// (mosquitto 2.1). Hashing uses OpenSSL's libcrypto.
//
// Thread ownership: a PasswordHash is immutable after Parse; any thread may read it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringmq {

enum class PasswordScheme : uint8_t {
  kSha512 = 6,        // "$6$"
  kPbkdf2Sha512 = 7,  // "$7$"
};

using PasswordDigest = std::array<uint8_t, 64>;

// The 64 bytes a password hashes to under `scheme` (iterations apply to kPbkdf2Sha512 only).
PasswordDigest ComputePasswordDigest(PasswordScheme scheme, int iterations,
                                     std::span<const uint8_t> salt, std::string_view password);

struct PasswordHash {
  PasswordScheme scheme = PasswordScheme::kPbkdf2Sha512;
  int iterations = 0;  // kPbkdf2Sha512 only; >= 1
  std::vector<uint8_t> salt;
  PasswordDigest digest{};

  // Parses the field after "user:"; the error says what is wrong with it (no line number).
  static absl::StatusOr<PasswordHash> Parse(std::string_view field);
  // The field as mosquitto writes it.
  std::string Format() const;
  // Hashes `password` with this salt and iterations and compares in constant time.
  bool Matches(std::string_view password) const;
};

inline bool IsAcceptedSaltSize(size_t size) { return size == 12 || size == 64; }

// Most PBKDF2 iterations a password line may ask for: ~0.7 s of one shard's CPU per login. mosquitto sets
// no bound, but a typo (an extra zero or three) would let every login of that user stall its shard.
inline constexpr int kMaxPbkdf2Iterations = 1'000'000;

}  // namespace ringmq
