#include "core/scram_authenticator.h"

#include "absl/strings/str_cat.h"
#include "core/scram_crypto.h"
#include "core/scram_messages.h"

namespace ringmq {
namespace {

std::string Xor(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] = static_cast<char>(out[i] ^ b[i]);
  return out;
}

class ScramExchange final : public AuthExchange {
 public:
  ScramExchange(std::shared_ptr<const ScramCredentials> credentials, ScramAuthenticator::NonceSource nonce_source)
      : credentials_(std::move(credentials)), nonce_source_(std::move(nonce_source)) {}

  AuthStep Start(const AuthSubject& subject, std::string_view data) override {
    if (stage_ != Stage::kAwaitClientFirst) return Refuse(ReasonCode::kNotAuthorized);
    absl::StatusOr<ScramClientFirst> first = ParseScramClientFirst(data);
    if (!first.ok()) return Refuse(ReasonCode::kNotAuthorized);
    // Whoever the MQTT User Name (or the earlier exchange) says the client is, SCRAM must prove that one:
    // otherwise a client proving "alice" could act as "bob" wherever the broker trusts the User Name.
    if (!subject.username.empty() && subject.username != first->user) return Refuse(ReasonCode::kNotAuthorized);
    if (!CheckScramUserName(first->user).ok()) return Refuse(ReasonCode::kNotAuthorized);
    const std::string server_nonce = nonce_source_();
    if (server_nonce.empty() || !IsScramPrintable(server_nonce)) return Refuse(ReasonCode::kNotAuthorized);

    // The made-up verifier is computed for real users too, so that the answer takes as long either way.
    ScramVerifier mock = credentials_->MockVerifierFor(first->user);
    const ScramVerifier* known = credentials_->Find(first->user);
    user_known_ = known != nullptr;
    verifier_ = user_known_ ? *known : std::move(mock);
    user_ = first->user;
    gs2_header_ = first->gs2_header;
    nonce_ = first->client_nonce + server_nonce;
    std::string server_first = FormatScramServerFirst(nonce_, verifier_.salt, verifier_.iterations);
    auth_message_ = absl::StrCat(first->bare, ",", server_first, ",");
    stage_ = Stage::kAwaitClientFinal;
    return AuthStep::Continue(std::move(server_first));
  }

  AuthStep Continue(std::string_view data) override {
    if (stage_ != Stage::kAwaitClientFinal) return Refuse(ReasonCode::kNotAuthorized);
    absl::StatusOr<ScramClientFinal> final_message = ParseScramClientFinal(data);
    if (!final_message.ok() || final_message->channel_binding != gs2_header_ || final_message->nonce != nonce_ ||
        final_message->proof.size() != kSha256Size) {
      return Refuse(ReasonCode::kNotAuthorized);
    }
    auth_message_ += final_message->without_proof;
    // Unknown users go through the same computation against their made-up keys, which match nothing.
    const std::string client_signature = HmacSha256(verifier_.stored_key, auth_message_);
    const std::string client_key = Xor(final_message->proof, client_signature);
    const bool proof_matches = ConstantTimeEqual(Sha256(client_key), verifier_.stored_key);
    if (!(proof_matches && user_known_)) return Refuse(ReasonCode::kBadUserNameOrPassword);
    stage_ = Stage::kDone;
    const std::string server_signature = HmacSha256(verifier_.server_key, auth_message_);
    return AuthStep::Success(absl::StrCat("v=", EncodeBase64(server_signature)), std::move(user_));
  }

 private:
  enum class Stage : uint8_t { kAwaitClientFirst, kAwaitClientFinal, kDone };

  AuthStep Refuse(ReasonCode reason) {
    stage_ = Stage::kDone;
    return AuthStep::Failure(reason);
  }

  // Owned, not borrowed from the authenticator: an exchange stays valid whatever outlives what.
  std::shared_ptr<const ScramCredentials> credentials_;
  ScramAuthenticator::NonceSource nonce_source_;
  Stage stage_ = Stage::kAwaitClientFirst;
  bool user_known_ = false;
  ScramVerifier verifier_;
  std::string user_;
  std::string gs2_header_;
  std::string nonce_;         // client nonce + server nonce
  std::string auth_message_;  // RFC 5802's AuthMessage, built up as the messages pass
};

}  // namespace

std::string ScramAuthenticator::RandomNonce() {
  std::optional<std::string> bytes = CsprngBytes(18);
  // A nonce must never be guessable: without a working CSPRNG there is none, and the exchange refuses.
  return bytes.has_value() ? EncodeBase64(*bytes) : std::string();
}

std::unique_ptr<AuthExchange> ScramAuthenticator::NewExchange() {
  return std::make_unique<ScramExchange>(credentials_, nonce_source_);
}

}  // namespace ringmq
