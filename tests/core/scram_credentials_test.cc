#include "core/scram_credentials.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/scram_crypto.h"

namespace ringmq {
namespace {

// RFC 7677's user "user" with password "pencil"; the keys are computed independently (Python's
// hashlib.pbkdf2_hmac and hmac) from the RFC's salt and iteration count.
const std::string kPencil =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

TEST(ScramCredentials, DerivesTheRfcVerifier) {
  const ScramVerifier verifier = DeriveScramVerifier("pencil", *DecodeBase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  EXPECT_EQ(FormatScramVerifier(verifier), kPencil);
}

TEST(ScramCredentials, ParsesAndFormatsVerifiersBothWays) {
  absl::StatusOr<ScramVerifier> verifier = ParseScramVerifier(kPencil);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ(verifier->iterations, 4096u);
  EXPECT_EQ(verifier->salt.size(), 16u);
  EXPECT_EQ(verifier->stored_key.size(), 32u);
  EXPECT_EQ(verifier->server_key.size(), 32u);
  EXPECT_EQ(FormatScramVerifier(*verifier), kPencil);
}

TEST(ScramCredentials, ParsesAFileWithCommentsAndBlankLines) {
  const ScramVerifier other = DeriveScramVerifier("hunter2", "0123456789abcdef", 5000);
  const std::string text = absl::StrCat("# ringmq SCRAM users\n\nuser:", kPencil, "\r\n   \n  # indented comment\n",
                                        "sensor-7:", FormatScramVerifier(other));
  absl::StatusOr<ScramCredentials> credentials = ParseScramCredentials(text);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->size(), 2u);
  ASSERT_NE(credentials->Find("user"), nullptr);
  EXPECT_EQ(FormatScramVerifier(*credentials->Find("user")), kPencil);
  ASSERT_NE(credentials->Find("sensor-7"), nullptr);
  EXPECT_EQ(credentials->Find("sensor-7")->iterations, 5000u);
  EXPECT_EQ(credentials->Find("nobody"), nullptr);
  EXPECT_EQ(credentials->Find("User"), nullptr);
}

TEST(ScramCredentials, EmptyFileHasNoUsers) {
  absl::StatusOr<ScramCredentials> credentials = ParseScramCredentials("# nobody yet\n");
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->size(), 0u);
}

struct BadLine {
  std::string_view name;
  std::string line;
  std::string_view message;  // part of the error
};

class ScramCredentialsBadLine : public testing::TestWithParam<BadLine> {};

TEST_P(ScramCredentialsBadLine, IsRefusedWithItsLineNumber) {
  const std::string text = absl::StrCat("# header\nuser:", kPencil, "\n", GetParam().line, "\n");
  absl::StatusOr<ScramCredentials> credentials = ParseScramCredentials(text);
  ASSERT_FALSE(credentials.ok());
  const std::string message(credentials.status().message());
  EXPECT_TRUE(message.starts_with("line 3: ")) << message;
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScramCredentialsBadLine,
    testing::Values(
        BadLine{"NoColon", "justaname", "expected user:"},
        BadLine{"Duplicate", absl::StrCat("user:", kPencil), "appears twice"},
        BadLine{"EmptyName", absl::StrCat(":", kPencil), "user name"},
        BadLine{"NonAsciiName", absl::StrCat("caf\xC3\xA9:", kPencil), "printable ASCII"},
        BadLine{"MosquittoHash", "bob:$7$101$i+rjKyvPVjGlbH76$zsGBVp0qeppRtmYZ", "expected SCRAM-SHA-256$"},
        BadLine{"Md5", "bob:md5d41d8cd98f00b204e9800998ecf8427e", "expected SCRAM-SHA-256$"},
        BadLine{"FewIterations",
                "bob:SCRAM-SHA-256$1000:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                "iteration count 1000"},
        BadLine{"IterationsNotANumber",
                "bob:SCRAM-SHA-256$-4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                "not a number"},
        BadLine{"SaltNotBase64",
                "bob:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                "salt"},
        BadLine{"ShortStoredKey",
                "bob:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$W22ZaJ0SNY7soEsUEjb6gQ==:"
                "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                "StoredKey is not 32 bytes"},
        BadLine{"MissingServerKey",
                "bob:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
                "expected SCRAM-SHA-256$"}),
    [](const testing::TestParamInfo<BadLine>& info) { return std::string(info.param.name); });

TEST(ScramCredentials, MockVerifiersAreStableAndLookReal) {
  const std::string file = absl::StrCat("user:", kPencil, "\n");
  absl::StatusOr<ScramCredentials> a = ParseScramCredentials(file);
  absl::StatusOr<ScramCredentials> b = ParseScramCredentials(file);
  ASSERT_TRUE(a.ok() && b.ok());
  const ScramVerifier mock = a->MockVerifierFor("nobody");
  // The same after a restart (a second parse of the same file), so repeated probes learn nothing.
  EXPECT_EQ(FormatScramVerifier(mock), FormatScramVerifier(b->MockVerifierFor("nobody")));
  EXPECT_EQ(mock.iterations, 4096u);
  EXPECT_EQ(mock.salt.size(), 16u);
  EXPECT_NE(mock.salt, a->MockVerifierFor("nobody2").salt);
  // Another file (other ServerKeys) gives other made-up salts: they cannot be computed from the name.
  absl::StatusOr<ScramCredentials> other = ParseScramCredentials(
      absl::StrCat("x:", FormatScramVerifier(DeriveScramVerifier("p", "0123456789abcdef", 4096)), "\n"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(mock.salt, other->MockVerifierFor("nobody").salt);
}

TEST(ScramCredentials, MockVerifiersFollowTheMostCommonIterationCountAndSaltSize) {
  std::string file;
  for (int i = 0; i < 3; ++i) {
    absl::StrAppend(&file, "u", i, ":",
                    FormatScramVerifier(DeriveScramVerifier("p", std::string(20, static_cast<char>('a' + i)), 4100)),
                    "\n");
  }
  absl::StrAppend(&file, "v:", kPencil, "\n");
  absl::StatusOr<ScramCredentials> credentials = ParseScramCredentials(file);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  const ScramVerifier mock = credentials->MockVerifierFor("nobody");
  EXPECT_EQ(mock.iterations, 4100u);
  EXPECT_EQ(mock.salt.size(), 20u);
}

TEST(ScramCredentials, UserNamesAndPasswordsArePrintableAscii) {
  EXPECT_TRUE(CheckScramUserName("sensor-7.eu_west@fleet").ok());
  EXPECT_TRUE(CheckScramUserName("a,b=c").ok());  // SCRAM escapes these on the wire
  EXPECT_FALSE(CheckScramUserName("").ok());
  EXPECT_FALSE(CheckScramUserName("with space").ok());
  EXPECT_FALSE(CheckScramUserName("a:b").ok());
  EXPECT_FALSE(CheckScramUserName("caf\xC3\xA9").ok());
  EXPECT_FALSE(CheckScramUserName("tab\there").ok());
  EXPECT_FALSE(CheckScramUserName(std::string(257, 'a')).ok());
  EXPECT_TRUE(CheckScramPassword("correct horse battery staple").ok());
  EXPECT_TRUE(CheckScramPassword("~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./").ok());
  EXPECT_FALSE(CheckScramPassword("").ok());
  EXPECT_FALSE(CheckScramPassword("p\xC3\xA4ss").ok());
  EXPECT_FALSE(CheckScramPassword("line\n").ok());
}

TEST(ScramCredentials, LineUser) {
  EXPECT_EQ(ScramLineUser("bob:SCRAM-SHA-256$..."), "bob");
  EXPECT_EQ(ScramLineUser("  # bob:x"), "");
  EXPECT_EQ(ScramLineUser("   "), "");
}

}  // namespace
}  // namespace ringmq
