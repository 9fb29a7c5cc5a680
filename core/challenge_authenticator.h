// A built-in enhanced-authentication method, "RINGMQ-CHALLENGE", enabled by --auth_challenge_secret.
// It shows the AUTH exchange end to end and lets tests drive it over the wire; it is a demonstration
// of the extension point, not a secure scheme (FNV-1a is no cryptographic hash): real deployments plug
// their own Authenticator into the registry.
//
// Exchange: CONNECT carries the method and no data -> the broker answers AUTH 0x18 with a fresh
// random nonce (32 hex digits) -> the client answers AUTH 0x18 with the 16 lowercase hex digits of
// FNV-1a-64(nonce + secret) -> CONNACK 0x00, or CONNACK 0x87 (Not authorized) on a wrong answer.
//
// Thread ownership: the authenticator and its exchanges belong to one shard (see core/authenticator.h).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "core/authenticator.h"

namespace ringmq {

class ChallengeAuthenticator final : public Authenticator {
 public:
  static constexpr std::string_view kMethod = "RINGMQ-CHALLENGE";

  // `seed` makes the nonces reproducible in tests; the broker seeds from std::random_device.
  ChallengeAuthenticator(std::string secret, uint64_t seed) : secret_(std::move(secret)), random_(seed) {}

  std::string_view method() const override { return kMethod; }
  std::unique_ptr<AuthExchange> NewExchange() override;

  // The answer a client holding `secret` gives to `nonce`.
  static std::string Answer(std::string_view nonce, std::string_view secret);

 private:
  std::string secret_;
  std::mt19937_64 random_;
};

}  // namespace ringmq
