#include "core/scram_authenticator.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/scram_crypto.h"
#include "core/scram_messages.h"

namespace ringmq {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
const std::string kRfcVerifier =
    "user:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
const std::string kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const std::string kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const std::string kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const std::string kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const std::string kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::shared_ptr<const ScramCredentials> RfcCredentials() {
  absl::StatusOr<ScramCredentials> parsed = ParseScramCredentials(kRfcVerifier);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return std::make_shared<const ScramCredentials>(*std::move(parsed));
}

ScramAuthenticator RfcAuthenticator() {
  return ScramAuthenticator(RfcCredentials(), [] { return std::string(kRfcServerNonce); });
}

// What a client holding `password` sends after `server_first` (RFC 5802 section 3), for exchanges
// other than the RFC's fixed one.
std::string ClientFinal(const std::string& password, const std::string& client_first_bare,
                        const std::string& server_first, const std::string& gs2_header = "n,,") {
  const std::string nonce(server_first.substr(2, server_first.find(',') - 2));
  const size_t salt_at = server_first.find(",s=") + 3;
  const std::string salt = *DecodeBase64(server_first.substr(salt_at, server_first.find(",i=") - salt_at));
  const uint32_t iterations = std::stoul(std::string(server_first.substr(server_first.find(",i=") + 3)));
  const std::string salted = Pbkdf2HmacSha256(password, salt, iterations);
  const std::string client_key = HmacSha256(salted, "Client Key");
  const std::string without_proof = absl::StrCat("c=", EncodeBase64(gs2_header), ",r=", nonce);
  const std::string auth_message = absl::StrCat(client_first_bare, ",", server_first, ",", without_proof);
  std::string proof = HmacSha256(Sha256(client_key), auth_message);
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ client_key[i]);
  return absl::StrCat(without_proof, ",p=", EncodeBase64(proof));
}

TEST(ScramAuthenticator, ReplaysRfc7677Exchange) {
  ScramAuthenticator authenticator = RfcAuthenticator();
  EXPECT_EQ(authenticator.method(), "SCRAM-SHA-256");
  std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
  const AuthStep first = exchange->Start({"client-1", {}}, kRfcClientFirst);
  ASSERT_EQ(first.kind, AuthStep::Kind::kContinue);
  EXPECT_EQ(first.data, kRfcServerFirst);
  const AuthStep last = exchange->Continue(kRfcClientFinal);
  ASSERT_EQ(last.kind, AuthStep::Kind::kSuccess);
  EXPECT_EQ(last.data, kRfcServerFinal);
  EXPECT_EQ(last.identity, "user");
}

TEST(ScramAuthenticator, ClientHelperReproducesTheRfcProof) {
  // The helper the other tests use computes the RFC's proof from the password: it is a real client.
  EXPECT_EQ(ClientFinal("pencil", kRfcClientFirst.substr(3), kRfcServerFirst), kRfcClientFinal);
}

TEST(ScramAuthenticator, WrongProofIsBadUserNameOrPassword) {
  std::unique_ptr<AuthExchange> exchange = RfcAuthenticator().NewExchange();
  ASSERT_EQ(exchange->Start({"c", {}}, kRfcClientFirst).kind, AuthStep::Kind::kContinue);
  const AuthStep last = exchange->Continue(ClientFinal("pencils", kRfcClientFirst.substr(3), kRfcServerFirst));
  EXPECT_EQ(last.kind, AuthStep::Kind::kFailure);
  EXPECT_EQ(last.failure_reason, ReasonCode::kBadUserNameOrPassword);
  EXPECT_TRUE(last.data.empty());
  // The exchange is over: even the right proof now fails.
  EXPECT_EQ(exchange->Continue(kRfcClientFinal).kind, AuthStep::Kind::kFailure);
}

TEST(ScramAuthenticator, UnknownUserLooksLikeAWrongPassword) {
  ScramAuthenticator authenticator = RfcAuthenticator();
  std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
  const std::string bare = "n=nobody,r=abc";
  const AuthStep first = exchange->Start({"c", {}}, absl::StrCat("n,,", bare));
  ASSERT_EQ(first.kind, AuthStep::Kind::kContinue);
  // A salt of the real users' size and their iteration count, the same on every attempt.
  EXPECT_TRUE(first.data.starts_with("r=abc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=")) << first.data;
  EXPECT_TRUE(first.data.ends_with(",i=4096")) << first.data;
  const std::string salt = first.data.substr(first.data.find(",s=") + 3, 24);
  EXPECT_EQ(DecodeBase64(salt)->size(), 16u);
  EXPECT_NE(salt, "W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_EQ(authenticator.NewExchange()->Start({"c", {}}, absl::StrCat("n,,", bare)).data, first.data);
  const AuthStep last = exchange->Continue(ClientFinal("pencil", bare, first.data));
  EXPECT_EQ(last.kind, AuthStep::Kind::kFailure);
  EXPECT_EQ(last.failure_reason, ReasonCode::kBadUserNameOrPassword);
}

TEST(ScramAuthenticator, AcceptsGs2FlagYAndEscapedNames) {
  ScramVerifier verifier = DeriveScramVerifier("secret", "0123456789abcdef", 4096);
  absl::StatusOr<ScramCredentials> parsed =
      ParseScramCredentials(absl::StrCat("a,b=c:", FormatScramVerifier(verifier), "\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ScramAuthenticator authenticator(std::make_shared<const ScramCredentials>(*std::move(parsed)),
                                   [] { return std::string("server-nonce"); });
  std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
  const std::string bare = "n=a=2Cb=3Dc,r=client-nonce";
  const AuthStep first = exchange->Start({"c", "a,b=c"}, absl::StrCat("y,,", bare));
  ASSERT_EQ(first.kind, AuthStep::Kind::kContinue);
  const AuthStep last = exchange->Continue(ClientFinal("secret", bare, first.data, "y,,"));
  ASSERT_EQ(last.kind, AuthStep::Kind::kSuccess);
  EXPECT_EQ(last.identity, "a,b=c");
}

struct RefusedFirst {
  std::string_view name;
  std::string_view client_first;
  std::string_view mqtt_username = {};
};

class ScramRefusedClientFirst : public testing::TestWithParam<RefusedFirst> {};

TEST_P(ScramRefusedClientFirst, IsNotAuthorized) {
  std::unique_ptr<AuthExchange> exchange = RfcAuthenticator().NewExchange();
  const AuthStep step = exchange->Start({"c", GetParam().mqtt_username}, GetParam().client_first);
  EXPECT_EQ(step.kind, AuthStep::Kind::kFailure);
  EXPECT_EQ(step.failure_reason, ReasonCode::kNotAuthorized);
  EXPECT_EQ(exchange->Continue(kRfcClientFinal).kind, AuthStep::Kind::kFailure);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScramRefusedClientFirst,
    testing::Values(RefusedFirst{"Empty", ""}, RefusedFirst{"ChannelBindingP", "p=tls-unique,,n=user,r=abc"},
                    RefusedFirst{"AuthorizationIdentity", "n,a=admin,n=user,r=abc"},
                    RefusedFirst{"MandatoryExtension", "n,,m=ext,n=user,r=abc"},
                    RefusedFirst{"NoNonce", "n,,n=user"}, RefusedFirst{"EmptyNonce", "n,,n=user,r="},
                    RefusedFirst{"BadEscape", "n,,n=us=er,r=abc"}, RefusedFirst{"NonAsciiUser", "n,,n=\xC3\xA9,r=abc"},
                    RefusedFirst{"OtherMqttUserName", kRfcClientFirst, "admin"}),
    [](const testing::TestParamInfo<RefusedFirst>& info) { return std::string(info.param.name); });

TEST(ScramAuthenticator, SameMqttUserNameIsAccepted) {
  std::unique_ptr<AuthExchange> exchange = RfcAuthenticator().NewExchange();
  ASSERT_EQ(exchange->Start({"c", "user"}, kRfcClientFirst).kind, AuthStep::Kind::kContinue);
  EXPECT_EQ(exchange->Continue(kRfcClientFinal).kind, AuthStep::Kind::kSuccess);
}

struct RefusedFinal {
  std::string_view name;
  std::string_view client_final;
};

class ScramRefusedClientFinal : public testing::TestWithParam<RefusedFinal> {};

TEST_P(ScramRefusedClientFinal, IsNotAuthorized) {
  std::unique_ptr<AuthExchange> exchange = RfcAuthenticator().NewExchange();
  ASSERT_EQ(exchange->Start({"c", {}}, kRfcClientFirst).kind, AuthStep::Kind::kContinue);
  const AuthStep step = exchange->Continue(GetParam().client_final);
  EXPECT_EQ(step.kind, AuthStep::Kind::kFailure);
  EXPECT_EQ(step.failure_reason, ReasonCode::kNotAuthorized);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScramRefusedClientFinal,
    testing::Values(
        RefusedFinal{"Empty", ""},
        // Only the client's half of the nonce: a replay of another exchange's proof.
        RefusedFinal{"ClientNonceOnly", "c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="},
        // c= says "y,," but the client-first said "n,,": a downgrade.
        RefusedFinal{"ChannelBindingMismatch",
                     "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="},
        RefusedFinal{"NoProof", "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"},
        RefusedFinal{"ShortProof", "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapW"},
        RefusedFinal{"ProofNotBase64", "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!!!"}),
    [](const testing::TestParamInfo<RefusedFinal>& info) { return std::string(info.param.name); });

TEST(ScramAuthenticator, ContinueBeforeStartIsRefused) {
  std::unique_ptr<AuthExchange> exchange = RfcAuthenticator().NewExchange();
  EXPECT_EQ(exchange->Continue(kRfcClientFinal).kind, AuthStep::Kind::kFailure);
}

TEST(ScramAuthenticator, BrokenNonceSourceRefusesRatherThanReusingANonce) {
  ScramAuthenticator authenticator(RfcCredentials(), [] { return std::string(); });
  const AuthStep step = authenticator.NewExchange()->Start({"c", {}}, kRfcClientFirst);
  EXPECT_EQ(step.kind, AuthStep::Kind::kFailure);
}

TEST(ScramAuthenticator, RandomNoncesArePrintableAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string nonce = ScramAuthenticator::RandomNonce();
    EXPECT_EQ(nonce.size(), 24u);
    EXPECT_TRUE(IsScramPrintable(nonce)) << nonce;
    seen.insert(nonce);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ScramAuthenticator, EachExchangeGetsItsOwnServerNonce) {
  ScramAuthenticator authenticator(RfcCredentials(), ScramAuthenticator::RandomNonce);
  const AuthStep a = authenticator.NewExchange()->Start({"c", {}}, kRfcClientFirst);
  const AuthStep b = authenticator.NewExchange()->Start({"c", {}}, kRfcClientFirst);
  ASSERT_EQ(a.kind, AuthStep::Kind::kContinue);
  EXPECT_NE(a.data, b.data);
  EXPECT_TRUE(a.data.starts_with("r=rOprNGfwEbeRWgbNEkqO"));
}

}  // namespace
}  // namespace ringmq
