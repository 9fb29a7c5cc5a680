#include "core/challenge_authenticator.h"

#include "absl/strings/str_format.h"

namespace ringmq {
namespace {

uint64_t Fnv1a64(std::string_view a, std::string_view b) {
  uint64_t hash = 14695981039346656037ull;
  for (std::string_view part : {a, b}) {
    for (unsigned char c : part) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  }
  return hash;
}

class ChallengeExchange final : public AuthExchange {
 public:
  ChallengeExchange(std::string_view secret, std::string nonce) : secret_(secret), nonce_(std::move(nonce)) {}

  AuthStep Start(const AuthSubject&, std::string_view data) override {
    // The client speaks second: data on the opening packet means it does not follow the method.
    if (!data.empty()) return AuthStep::Failure(ReasonCode::kNotAuthorized);
    challenged_ = true;
    return AuthStep::Continue(nonce_);
  }

  AuthStep Continue(std::string_view data) override {
    if (!challenged_ || data != ChallengeAuthenticator::Answer(nonce_, secret_)) {
      return AuthStep::Failure(ReasonCode::kNotAuthorized);
    }
    return AuthStep::Success();
  }

 private:
  std::string_view secret_;  // owned by the authenticator, which outlives its exchanges
  std::string nonce_;
  bool challenged_ = false;
};

}  // namespace

std::unique_ptr<AuthExchange> ChallengeAuthenticator::NewExchange() {
  const uint64_t high = random_();
  const uint64_t low = random_();
  return std::make_unique<ChallengeExchange>(secret_, absl::StrFormat("%016x%016x", high, low));
}

std::string ChallengeAuthenticator::Answer(std::string_view nonce, std::string_view secret) {
  return absl::StrFormat("%016x", Fnv1a64(nonce, secret));
}

}  // namespace ringmq
