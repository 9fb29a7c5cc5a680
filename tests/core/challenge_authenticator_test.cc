// The built-in challenge method and the registry.
#include "core/challenge_authenticator.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(ChallengeAuthenticator, AnswerIsFnv1a64OfNonceAndSecretInHex) {
  // FNV-1a-64 of the empty string is the offset basis.
  EXPECT_EQ(ChallengeAuthenticator::Answer("", ""), "cbf29ce484222325");
  // FNV-1a-64("a") = 0xaf63dc4c8601ec8c (published test vector).
  EXPECT_EQ(ChallengeAuthenticator::Answer("a", ""), "af63dc4c8601ec8c");
  EXPECT_EQ(ChallengeAuthenticator::Answer("", "a"), "af63dc4c8601ec8c");
}

TEST(ChallengeAuthenticator, RightAnswerSucceeds) {
  ChallengeAuthenticator authenticator("s3cret", 1);
  EXPECT_EQ(authenticator.method(), "RINGMQ-CHALLENGE");
  auto exchange = authenticator.NewExchange();
  const AuthStep challenge = exchange->Start({"client", ""}, "");
  ASSERT_EQ(challenge.kind, AuthStep::Kind::kContinue);
  EXPECT_EQ(challenge.data.size(), 32u);
  const AuthStep done = exchange->Continue(ChallengeAuthenticator::Answer(challenge.data, "s3cret"));
  EXPECT_EQ(done.kind, AuthStep::Kind::kSuccess);
}

TEST(ChallengeAuthenticator, WrongAnswerFailsNotAuthorized) {
  ChallengeAuthenticator authenticator("s3cret", 1);
  auto exchange = authenticator.NewExchange();
  const AuthStep challenge = exchange->Start({"client", ""}, "");
  const AuthStep done = exchange->Continue(ChallengeAuthenticator::Answer(challenge.data, "guess"));
  EXPECT_EQ(done.kind, AuthStep::Kind::kFailure);
  EXPECT_EQ(done.failure_reason, ReasonCode::kNotAuthorized);
}

TEST(ChallengeAuthenticator, DataOnTheOpeningPacketFails) {
  ChallengeAuthenticator authenticator("s3cret", 1);
  EXPECT_EQ(authenticator.NewExchange()->Start({"c", ""}, "unexpected").kind, AuthStep::Kind::kFailure);
}

TEST(ChallengeAuthenticator, EachExchangeGetsAFreshNonce) {
  ChallengeAuthenticator authenticator("s", 7);
  const std::string a = authenticator.NewExchange()->Start({}, "").data;
  const std::string b = authenticator.NewExchange()->Start({}, "").data;
  EXPECT_NE(a, b);
}

TEST(AuthenticatorRegistry, FindsByMethodName) {
  AuthenticatorRegistry registry;
  EXPECT_TRUE(registry.empty());
  EXPECT_EQ(registry.Find("RINGMQ-CHALLENGE"), nullptr);
  registry.Add(std::make_unique<ChallengeAuthenticator>("s", 1));
  EXPECT_FALSE(registry.empty());
  ASSERT_NE(registry.Find("RINGMQ-CHALLENGE"), nullptr);
  EXPECT_EQ(registry.Find("SCRAM-SHA-1"), nullptr);
}

}  // namespace
}  // namespace ringmq
