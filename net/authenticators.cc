#include "net/authenticators.h"

#include <random>

#include "core/challenge_authenticator.h"

namespace ringmq {

AuthenticatorRegistry BuiltInAuthenticators(const BrokerConfig& config) {
  AuthenticatorRegistry registry;
  if (!config.auth_challenge_secret.empty()) {
    std::random_device entropy;
    const uint64_t seed = (uint64_t{entropy()} << 32) | entropy();
    registry.Add(std::make_unique<ChallengeAuthenticator>(config.auth_challenge_secret, seed));
  }
  return registry;
}

}  // namespace ringmq
