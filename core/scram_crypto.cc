#include "core/scram_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>

#include "absl/strings/escaping.h"

namespace ringmq {
namespace {

const unsigned char* Bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

}  // namespace

std::string Sha256(std::string_view data) {
  std::string digest(kSha256Size, '\0');
  SHA256(Bytes(data), data.size(), reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string mac(kSha256Size, '\0');
  unsigned int size = 0;
  // HMAC() fails only for an unknown digest or a key longer than INT_MAX; neither happens here.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(),
       reinterpret_cast<unsigned char*>(mac.data()), &size);
  return mac;
}

std::string Pbkdf2HmacSha256(std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string key(kSha256Size, '\0');
  const int rounds = iterations > INT_MAX ? INT_MAX : static_cast<int>(iterations);
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), Bytes(salt), static_cast<int>(salt.size()),
                    rounds, EVP_sha256(), static_cast<int>(key.size()), reinterpret_cast<unsigned char*>(key.data()));
  return key;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  // The sizes are public (a proof and a key are both 32 bytes): only the contents need hiding.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> CsprngBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) return std::nullopt;
  return bytes;
}

// Debian's Abseil has its own absl::string_view, not std::string_view.
std::string EncodeBase64(std::string_view data) { return absl::Base64Escape(absl::string_view(data.data(), data.size())); }

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string decoded;
  if (!absl::Base64Unescape(absl::string_view(text.data(), text.size()), &decoded) || EncodeBase64(decoded) != text) {
    return std::nullopt;
  }
  return decoded;
}

}  // namespace ringmq
