// SCRAM-SHA-256 (RFC 5802, RFC 7677) as an MQTT 5 enhanced-authentication method (section 4.12):
//
//   CONNECT     Authentication Method "SCRAM-SHA-256", Data = client-first-message  (n,,n=user,r=cnonce)
//   AUTH 0x18   server-first-message                                   (r=cnonce+snonce,s=salt,i=4096)
//   AUTH 0x18   client-final-message                                   (c=biws,r=cnonce+snonce,p=proof)
//   CONNACK 0x00 with server-final-message                              (v=server signature)
//
// and the same after AUTH 0x19 (re-authentication), which ends in AUTH 0x00 carrying v=. The
// client-first-message must come with the CONNECT (or AUTH 0x19); channel binding is not supported
// (see core/scram_messages.h). Outcomes, none of which says whether the user exists:
// - a wrong proof, or any user not in the credentials (answered with a made-up salt first, see
//   ScramCredentials::MockVerifierFor): 0x86 Bad User Name or Password;
// - a malformed or unsupported message, a nonce or channel binding not matching, a SCRAM user other
//   than the CONNECT's User Name or, on re-authentication, than the one already proved: 0x87 Not
//   authorized.
// The broker never sees a password and never runs PBKDF2: verifying a proof is two HMACs and a hash.
//
// Thread ownership: the authenticator belongs to one shard (core/authenticator.h); the credentials
// it reads are immutable and shared by all shards.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/authenticator.h"
#include "core/scram_credentials.h"

namespace ringmq {

class ScramAuthenticator final : public Authenticator {
 public:
  // Makes the server's part of the nonce: printable characters except ','. Injectable so that tests
  // can replay RFC 7677's exchange; the broker uses RandomNonce.
  using NonceSource = std::function<std::string()>;

  // 18 bytes from OpenSSL's CSPRNG in base64 (24 characters, 144 bits); empty (the exchange is then
  // refused) only if the CSPRNG cannot be seeded.
  static std::string RandomNonce();

  ScramAuthenticator(std::shared_ptr<const ScramCredentials> credentials, NonceSource nonce_source)
      : credentials_(std::move(credentials)), nonce_source_(std::move(nonce_source)) {}

  std::string_view method() const override { return kScramMechanism; }
  std::unique_ptr<AuthExchange> NewExchange() override;

 private:
  std::shared_ptr<const ScramCredentials> credentials_;
  NonceSource nonce_source_;
};

}  // namespace ringmq
