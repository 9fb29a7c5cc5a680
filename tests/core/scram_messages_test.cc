#include "core/scram_messages.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

TEST(ScramMessages, ParsesClientFirst) {
  absl::StatusOr<ScramClientFirst> first = ParseScramClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->gs2_header, "n,,");
  EXPECT_EQ(first->user, "user");
  EXPECT_EQ(first->client_nonce, "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(first->bare, "n=user,r=rOprNGfwEbeRWgbNEkqO");
}

TEST(ScramMessages, ClientFirstSkipsExtensionsAndDecodesNames) {
  absl::StatusOr<ScramClientFirst> first = ParseScramClientFirst("y,,n=a=3Db=2C,r=xyz,x=ext");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->gs2_header, "y,,");
  EXPECT_EQ(first->user, "a=b,");
  EXPECT_EQ(first->bare, "n=a=3Db=2C,r=xyz,x=ext");
}

TEST(ScramMessages, RefusesUnsupportedClientFirst) {
  EXPECT_FALSE(ParseScramClientFirst("p=tls-server-end-point,,n=user,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,a=other,n=user,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,,m=x,n=user,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,,r=x,n=user").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,,n=user,r=x y").ok());  // nonce with a space
  EXPECT_FALSE(ParseScramClientFirst("n,,n=user,r=x,notanattribute").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,,n=,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,,n=a=2,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("x,,n=user,r=x").ok());
  EXPECT_FALSE(ParseScramClientFirst("n,n=user,r=x").ok());
}

TEST(ScramMessages, ParsesClientFinal) {
  absl::StatusOr<ScramClientFinal> final_message =
      ParseScramClientFinal("c=biws,r=abc,e=ext,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_TRUE(final_message.ok()) << final_message.status();
  EXPECT_EQ(final_message->channel_binding, "n,,");
  EXPECT_EQ(final_message->nonce, "abc");
  EXPECT_EQ(final_message->proof.size(), 32u);
  EXPECT_EQ(final_message->without_proof, "c=biws,r=abc,e=ext");
}

TEST(ScramMessages, RefusesMalformedClientFinal) {
  EXPECT_FALSE(ParseScramClientFinal("c=biws,r=abc").ok());
  EXPECT_FALSE(ParseScramClientFinal("r=abc,c=biws,p=AAAA").ok());
  EXPECT_FALSE(ParseScramClientFinal("c=b!ws,r=abc,p=AAAA").ok());
  EXPECT_FALSE(ParseScramClientFinal("c=biws,r=abc,p=AAA").ok());  // not padded
  EXPECT_FALSE(ParseScramClientFinal("c=biws,p=AAAA").ok());
}

TEST(ScramMessages, RefusesOversizedMessages) {
  const std::string nonce(kMaxScramMessageSize, 'x');
  EXPECT_FALSE(ParseScramClientFirst("n,,n=user,r=" + nonce).ok());
  EXPECT_TRUE(ParseScramClientFirst("n,,n=user,r=" + nonce.substr(0, kMaxScramMessageSize - 12)).ok());
  EXPECT_FALSE(ParseScramClientFinal("c=biws,r=" + nonce + ",p=AAAA").ok());
}

TEST(ScramMessages, FormatsServerFirst) {
  EXPECT_EQ(FormatScramServerFirst("cnonce+snonce", "\x01\x02\x03", 4096), "r=cnonce+snonce,s=AQID,i=4096");
}

TEST(ScramMessages, Printable) {
  EXPECT_TRUE(IsScramPrintable("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"));
  EXPECT_FALSE(IsScramPrintable("a,b"));
  EXPECT_FALSE(IsScramPrintable("a b"));
  EXPECT_FALSE(IsScramPrintable("\x7f"));
}

}  // namespace
}  // namespace ringmq
