#include "core/credential_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace ringmq {

CredentialCache::CredentialCache(size_t capacity) : capacity_(capacity) {
  slots_.reserve(capacity_);
  std::array<uint8_t, 32> key{};
  if (capacity_ == 0 || RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return;
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
  EVP_MAC_free(hmac);  // the context holds its own reference
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  if (context != nullptr && EVP_MAC_init(context, key.data(), key.size(), params) == 1) {
    mac_ = context;
  } else {
    EVP_MAC_CTX_free(context);
  }
  OPENSSL_cleanse(key.data(), key.size());
}

CredentialCache::~CredentialCache() {
  EVP_MAC_CTX_free(mac_);
  for (Slot& slot : slots_) OPENSSL_cleanse(slot.digest.data(), slot.digest.size());
}

CredentialCache::Lookup CredentialCache::Look(const PasswordFile& file, std::string_view user,
                                              std::string_view password) {
  if (mac_ == nullptr) return {};
  if (file.generation() != generation_) {
    ForgetAll();
    generation_ = file.generation();
  }
  Lookup lookup{false, KeyedDigest(user, password)};
  if (!lookup.digest) return lookup;  // libcrypto failed: neither match nor remember
  if (auto found = slot_of_user_.find(absl::string_view(user.data(), user.size())); found != slot_of_user_.end()) {
    Slot& slot = slots_[found->second];
    if (CRYPTO_memcmp(slot.digest.data(), lookup.digest->data(), lookup.digest->size()) == 0) {
      slot.referenced = true;
      ++hits_;
      lookup.hit = true;
    }
  }
  return lookup;
}

bool CredentialCache::Remembers(const PasswordFile& file, std::string_view user, std::string_view password) {
  return Look(file, user, password).hit;
}

bool CredentialCache::Verify(const PasswordFile& file, std::string_view user, std::string_view password) {
  const Lookup lookup = Look(file, user, password);
  if (lookup.hit) return true;
  ++misses_;
  if (!file.Verify(user, password)) return false;
  if (lookup.digest) Remember(user, *lookup.digest);
  return true;
}

std::optional<CredentialCache::Digest> CredentialCache::KeyedDigest(std::string_view user, std::string_view password) {
  // The user's length goes first so that ("ab", "c") and ("a", "bc") are different inputs.
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(user.size()) >> (56 - 8 * i));
  Digest digest{};
  size_t size = 0;
  // A null key re-initialises the context with the key it already holds: no fetch per call.
  bool ok = EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 &&
            EVP_MAC_update(mac_, length, sizeof(length)) == 1 &&
            EVP_MAC_update(mac_, reinterpret_cast<const uint8_t*>(user.data()), user.size()) == 1 &&
            EVP_MAC_update(mac_, reinterpret_cast<const uint8_t*>(password.data()), password.size()) == 1 &&
            EVP_MAC_final(mac_, digest.data(), &size, digest.size()) == 1 && size == digest.size();
  if (!ok) return std::nullopt;
  return digest;
}

void CredentialCache::Remember(std::string_view user, const Digest& digest) {
  if (auto found = slot_of_user_.find(absl::string_view(user.data(), user.size())); found != slot_of_user_.end()) {
    Slot& slot = slots_[found->second];
    slot.digest = digest;
    slot.referenced = true;
    return;
  }
  size_t index;
  if (slots_.size() < capacity_) {
    index = slots_.size();
    slots_.emplace_back();
  } else {
    index = VictimSlot();
    slot_of_user_.erase(slots_[index].user);
  }
  Slot& slot = slots_[index];
  slot.user.assign(user);
  slot.digest = digest;
  slot.referenced = false;
  slot_of_user_.emplace(slot.user, index);
}

size_t CredentialCache::VictimSlot() {
  // Each slot passed loses its second chance, so the sweep stops within two turns of the clock.
  while (true) {
    Slot& slot = slots_[hand_];
    size_t index = hand_;
    hand_ = (hand_ + 1) % slots_.size();
    if (!slot.referenced) return index;
    slot.referenced = false;
  }
}

void CredentialCache::ForgetAll() {
  for (Slot& slot : slots_) OPENSSL_cleanse(slot.digest.data(), slot.digest.size());
  slots_.clear();
  slot_of_user_.clear();
  hand_ = 0;
}

}  // namespace ringmq
