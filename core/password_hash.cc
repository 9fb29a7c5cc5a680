#include "core/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base64.h"
#include "core/text.h"

namespace ringmq {
namespace {

// Debian's Abseil has its own string_view type.
PasswordDigest Sha512Salted(std::span<const uint8_t> salt, std::string_view password) {
  PasswordDigest digest{};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned int size = 0;
  bool ok = context != nullptr && EVP_DigestInit_ex(context, EVP_sha512(), nullptr) == 1 &&
            EVP_DigestUpdate(context, password.data(), password.size()) == 1 &&
            EVP_DigestUpdate(context, salt.data(), salt.size()) == 1 &&
            EVP_DigestFinal_ex(context, digest.data(), &size) == 1 && size == digest.size();
  EVP_MD_CTX_free(context);
  // On a libcrypto failure the digest is all zero, which Matches() refuses.
  if (!ok) digest.fill(0);
  return digest;
}

PasswordDigest Pbkdf2Sha512(int iterations, std::span<const uint8_t> salt, std::string_view password) {
  PasswordDigest digest{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(),
                        static_cast<int>(digest.size()), digest.data()) != 1) {
    digest.fill(0);
  }
  return digest;
}

absl::StatusOr<int> ParseIterations(std::string_view text) {
  int iterations = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), iterations);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || iterations < 1 ||
      iterations > kMaxPbkdf2Iterations) {
    return absl::InvalidArgumentError(absl::StrCat("iteration count '", AbslView(text),
                                                   "' is not a whole number from 1 to ", kMaxPbkdf2Iterations));
  }
  return iterations;
}

absl::StatusOr<std::vector<uint8_t>> ParseSalt(std::string_view text) {
  std::optional<std::vector<uint8_t>> salt = Base64Decode(text);
  if (!salt) return absl::InvalidArgumentError("salt is not padded standard base64");
  if (!IsAcceptedSaltSize(salt->size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("salt is ", salt->size(), " bytes; mosquitto writes 12 (2.0) or 64 (2.1)"));
  }
  return *std::move(salt);
}

absl::StatusOr<PasswordDigest> ParseDigest(std::string_view text) {
  std::optional<std::vector<uint8_t>> bytes = Base64Decode(text);
  if (!bytes) return absl::InvalidArgumentError("hash is not padded standard base64");
  PasswordDigest digest{};
  if (bytes->size() != digest.size()) {
    return absl::InvalidArgumentError(absl::StrCat("hash is ", bytes->size(), " bytes, not 64"));
  }
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

}  // namespace

PasswordDigest ComputePasswordDigest(PasswordScheme scheme, int iterations,
                                     std::span<const uint8_t> salt, std::string_view password) {
  return scheme == PasswordScheme::kSha512 ? Sha512Salted(salt, password)
                                           : Pbkdf2Sha512(iterations, salt, password);
}

absl::StatusOr<PasswordHash> PasswordHash::Parse(std::string_view field) {
  std::vector<std::string_view> parts = SplitText(field, '$');
  // "$7$i$s$h" splits into "", "7", i, s, h; "$6$s$h" into "", "6", s, h.
  if (parts.size() < 2 || !parts[0].empty()) {
    return absl::InvalidArgumentError("password is not a hash ($7$... or $6$...); plain-text files need "
                                      "'ringmq-passwd -U' first");
  }
  PasswordHash hash;
  size_t salt_index = 0;
  if (parts[1] == "7" && parts.size() == 5) {
    hash.scheme = PasswordScheme::kPbkdf2Sha512;
    absl::StatusOr<int> iterations = ParseIterations(parts[2]);
    if (!iterations.ok()) return iterations.status();
    hash.iterations = *iterations;
    salt_index = 3;
  } else if (parts[1] == "6" && parts.size() == 4) {
    hash.scheme = PasswordScheme::kSha512;
    hash.iterations = 1;
    salt_index = 2;
  } else if (parts[1] == "7" || parts[1] == "6") {
    return absl::InvalidArgumentError(absl::StrCat("a $", AbslView(parts[1]), "$ hash has ",
                                                   parts[1] == "7" ? 4 : 3, " '$' fields, this one ",
                                                   parts.size() - 1));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash type '", AbslView(parts[1].substr(0, 16)), "' is not supported (only $7$ PBKDF2-SHA512 and $6$ SHA-512)"));
  }
  absl::StatusOr<std::vector<uint8_t>> salt = ParseSalt(parts[salt_index]);
  if (!salt.ok()) return salt.status();
  hash.salt = *std::move(salt);
  absl::StatusOr<PasswordDigest> digest = ParseDigest(parts[salt_index + 1]);
  if (!digest.ok()) return digest.status();
  hash.digest = *digest;
  return hash;
}

std::string PasswordHash::Format() const {
  if (scheme == PasswordScheme::kSha512) {
    return absl::StrCat("$6$", Base64Encode(salt), "$", Base64Encode(digest));
  }
  return absl::StrCat("$7$", iterations, "$", Base64Encode(salt), "$", Base64Encode(digest));
}

bool PasswordHash::Matches(std::string_view password) const {
  PasswordDigest computed = ComputePasswordDigest(scheme, iterations, salt, password);
  static constexpr PasswordDigest kFailed{};
  bool equal = CRYPTO_memcmp(computed.data(), digest.data(), digest.size()) == 0;
  // An all-zero result means libcrypto failed; it must not match a (forged) all-zero stored hash.
  bool failed = CRYPTO_memcmp(computed.data(), kFailed.data(), kFailed.size()) == 0;
  return equal && !failed;
}

}  // namespace ringmq
