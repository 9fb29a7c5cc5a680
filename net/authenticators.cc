#include "net/authenticators.h"

#include "core/scram_authenticator.h"
#include "core/scram_credentials.h"

namespace ringmq {

AuthenticatorRegistry BuiltInAuthenticators(const BrokerConfig& config) {
  AuthenticatorRegistry registry;
  if (config.scram_credentials != nullptr) {
    registry.Add(std::make_unique<ScramAuthenticator>(config.scram_credentials, ScramAuthenticator::RandomNonce));
  }
  return registry;
}

}  // namespace ringmq
