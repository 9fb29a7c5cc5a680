// The primitives SCRAM-SHA-256 (RFC 5802, RFC 7677) is built from, over OpenSSL 3's libcrypto: SHA-256,
// HMAC-SHA-256, PBKDF2-HMAC-SHA-256 ("Hi" in RFC 5802), a comparison that takes the same time wherever
// the inputs differ, random bytes from OpenSSL's CSPRNG, and strict base64.
//
// Thread ownership: stateless functions, any thread (libcrypto 3 is thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringmq {

inline constexpr size_t kSha256Size = 32;

std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
// RFC 5802's Hi(password, salt, iterations) with HMAC-SHA-256: a 32-byte key.
std::string Pbkdf2HmacSha256(std::string_view password, std::string_view salt, uint32_t iterations);

// True when a == b; for equal sizes the time taken does not depend on where they differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes); nullopt only if it could not be seeded.
std::optional<std::string> CsprngBytes(size_t count);

// Standard base64 with padding (RFC 4648 section 4), the form SCRAM and the verifier files use.
std::string EncodeBase64(std::string_view data);
// nullopt unless `text` is canonical standard base64 with padding (what EncodeBase64 writes): a
// verifier or proof in any other spelling is a mistake worth refusing, not guessing at.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace ringmq
