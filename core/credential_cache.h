// Remembers, for a bounded number of users, the password that last passed PasswordFile::Verify, so a
// device that reconnects again and again costs its shard one HMAC-SHA256 instead of a PBKDF2 run
// each time (see bench/core/password_bench.cc for both costs).
//
// What is kept is not the password but HMAC-SHA256(key, user, password) under a key drawn at random
// for each cache, compared in constant time. Only successes are remembered: a wrong password always
// goes to the file, and a remembered password for a user is replaced, never added to, when another
// one verifies. The cache belongs to one PasswordFile generation: handed a different file (a reload)
// it forgets everything first, so a password changed or a user deleted in the new file stops working
// at once. When full, a clock (second chance) sweep evicts a user not looked up since the last sweep.
//
// Thread ownership: one per shard, used only by that shard's thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "absl/container/flat_hash_map.h"
#include "core/password_file.h"

namespace ringmq {

class CredentialCache {
 public:
  // 16384 users x ~120 bytes is ~2 MB per shard: room for every device of a shard in a fleet of
  // tens of thousands, small next to the shard's connection buffers.
  static constexpr size_t kDefaultCapacity = 16384;

  explicit CredentialCache(size_t capacity = kDefaultCapacity);
  ~CredentialCache();
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  // Same answer as file.Verify(user, password), without hashing when this exact password last
  // verified for `user` against this same file.
  bool Verify(const PasswordFile& file, std::string_view user, std::string_view password);
  // True when Verify would answer yes at once, from what it remembers: no PBKDF2. A shard asks this
  // first to know whether a login costs a hash out of its per-turn budget (net/access_control.h).
  bool Remembers(const PasswordFile& file, std::string_view user, std::string_view password);

  // Users remembered (for tests and statistics).
  size_t size() const { return slot_of_user_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  using Digest = std::array<uint8_t, 32>;
  struct Slot {
    std::string user;
    Digest digest{};
    bool referenced = false;  // looked up since the clock hand last passed
  };

  struct Lookup {
    bool hit = false;
    std::optional<Digest> digest;  // the password's keyed digest; nothing when the cache cannot help
  };
  Lookup Look(const PasswordFile& file, std::string_view user, std::string_view password);
  // Nothing when libcrypto fails.
  std::optional<Digest> KeyedDigest(std::string_view user, std::string_view password);
  void Remember(std::string_view user, const Digest& digest);
  size_t VictimSlot();
  void ForgetAll();

  size_t capacity_;
  // HMAC-SHA256 initialised with the random key; null when no key could be drawn (or capacity is 0),
  // and every call then goes to the file.
  EVP_MAC_CTX* mac_ = nullptr;
  uint64_t generation_ = 0;
  std::vector<Slot> slots_;
  absl::flat_hash_map<std::string, size_t> slot_of_user_;
  size_t hand_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace ringmq
