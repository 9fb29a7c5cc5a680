// mosquitto password files: byte-exact lines from Debian's mosquitto_passwd 2.0.11 and hashes
// computed independently with Python's hashlib, read and verified by PasswordFile.
#include "core/password_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/password_hash.h"

namespace ringmq {
namespace {

using ::testing::HasSubstr;

// mosquitto_passwd -c -b v.txt alice 'correct horse'   ($7$, its default 101 iterations)
constexpr std::string_view kAlice =
    "alice:$7$101$8Ul3mmCCc1eG5RqA$+pPuM/u6ey9ppt5QVOoaMbBSM2EndsrtQlrgkfrfHIg3jH0dPpJSsAe05aCSabPql242qKON73bf"
    "P/AaNiSN3A==";
// mosquitto_passwd -I 1000 -b v.txt bob 'S3cr3t!'
constexpr std::string_view kBob =
    "bob:$7$1000$/dwvujXZSmgcYadm$9MNqUY1znFKakeTwyRoSAT/gLlxoknuPHs40HeFF4Qq4pOSKosZjVvx83vYGxszLaiU5+4qNpjWj"
    "F2u7rxNCmQ==";
// mosquitto_passwd -H sha512 -b v.txt carol 'legacy-pw'   ($6$)
constexpr std::string_view kCarol =
    "carol:$6$PSwkD2ifatuKJ9IX$i9TZVWRswldUUCOtzxr7G8Wz9FFz3GSWJFtLbcZxrHgo/QB1FdmAsvtSGnwiUhY7TZpLlYR0Q8gwfamjO"
    "Z4yTA==";
// mosquitto_passwd -b v.txt dave.dev 'pä ss wörd:$x'   (UTF-8, a space, ':' and '$' in the password)
constexpr std::string_view kDave =
    "dave.dev:$7$101$1khAIZLopivgfozs$6za55HWEai38fM/l9sWXIXOWoV+XMtdyOcm6TzpbhbMpDxzWZURFARY4SMQDSbfJmwylzek0lh"
    "Ngh/9Z9vMPPw==";
// Python: salt = bytes(range(12)); sha512(b"sha-six" + salt)
constexpr std::string_view kErin =
    "erin:$6$AAECAwQFBgcICQoL$3Ykaq8/N3ZlHQApm5Crs50yyWK6KbAlMkZA9YdI8DpU4yV83Lpp7s0hCTzBPvNNCKM/N9bNsmkhAXk8cU6"
    "K9rQ==";
// Python: salt = bytes((i*7+3) & 0xff for i in range(64)); pbkdf2_hmac("sha512", b"long-salt-pw", salt, 1000, 64)
// (mosquitto 2.1's 64-byte salt)
constexpr std::string_view kFrank =
    "frank:$7$1000$AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4/wYNFBsiKTA3PkVMU1phaG92fYSLkpmgp661vA==$MTvt9p"
    "4SeiBi4Z5961RvnTbkBP85oDexFaHPzeDPa42/DtKIq741ely0avGdHcdASRmXIZ9y0yFImLWt/5G0dg==";
// Python: salt = bytes(range(12)); pbkdf2_hmac("sha512", b"hash-me", salt, 101, 64)
constexpr std::string_view kGina =
    "gina:$7$101$AAECAwQFBgcICQoL$YBVkwHhaAqI1RbQa1YOpv5J5nP+WNGyC/rj4DVI3fAq6LrzPlTfczkCbU2qBGsMvMUlf1xodf3boQH"
    "DRGpNdsg==";

std::string Lines(std::initializer_list<std::string_view> lines) {
  std::string text;
  for (std::string_view line : lines) text.append(line).append("\n");
  return text;
}

PasswordFile ParseOk(std::string_view text) {
  absl::StatusOr<PasswordFile> file = PasswordFile::Parse(text);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) std::abort();
  return *std::move(file);
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<PasswordFile> file = PasswordFile::Parse(text);
  EXPECT_FALSE(file.ok()) << "parsed: " << text;
  return file.ok() ? "" : std::string(file.status().message());
}

TEST(PasswordFile, VerifiesMosquittoPasswdPbkdf2LinesAt101And1000Iterations) {
  PasswordFile file = ParseOk(Lines({kAlice, kBob}));
  EXPECT_EQ(file.size(), 2u);
  EXPECT_TRUE(file.Verify("alice", "correct horse"));
  EXPECT_TRUE(file.Verify("bob", "S3cr3t!"));
  EXPECT_FALSE(file.Verify("alice", "correct horsf"));
  EXPECT_FALSE(file.Verify("alice", "correct horse "));
  EXPECT_FALSE(file.Verify("alice", ""));
  EXPECT_FALSE(file.Verify("bob", "correct horse"));  // another user's password
  EXPECT_FALSE(file.Verify("alice", "S3cr3t!"));
}

TEST(PasswordFile, VerifiesLegacySha512LinesFromMosquittoPasswdAndPython) {
  PasswordFile file = ParseOk(Lines({kCarol, kErin}));
  EXPECT_TRUE(file.Verify("carol", "legacy-pw"));
  EXPECT_TRUE(file.Verify("erin", "sha-six"));
  EXPECT_FALSE(file.Verify("carol", "legacy-pW"));
  EXPECT_FALSE(file.Verify("erin", "sha-si"));
}

TEST(PasswordFile, PasswordBytesAreHashedAsGiven) {
  PasswordFile file = ParseOk(Lines({kDave}));
  EXPECT_TRUE(file.Verify("dave.dev", "pä ss wörd:$x"));
  EXPECT_FALSE(file.Verify("dave.dev", "pä ss wörd"));
  EXPECT_FALSE(file.Verify("Dave.dev", "pä ss wörd:$x"));  // user names are case-sensitive
}

TEST(PasswordFile, ReadsSixtyFourByteSaltsOfMosquitto21) {
  PasswordFile file = ParseOk(Lines({kFrank}));
  EXPECT_TRUE(file.Verify("frank", "long-salt-pw"));
  EXPECT_FALSE(file.Verify("frank", "long-salt-pv"));
}

TEST(PasswordFile, UnknownUserIsRefusedWhateverThePassword) {
  PasswordFile file = ParseOk(Lines({kAlice}));
  EXPECT_FALSE(file.Contains("mallory"));
  EXPECT_FALSE(file.Verify("mallory", "correct horse"));
  EXPECT_FALSE(file.Verify("", ""));
  EXPECT_FALSE(file.Verify("alice ", "correct horse"));
}

TEST(PasswordFile, EmptyFileHasNoUsers) {
  PasswordFile file = ParseOk("");
  EXPECT_EQ(file.size(), 0u);
  EXPECT_FALSE(file.Verify("alice", "correct horse"));
}

TEST(PasswordFile, SkipsCommentsBlankLinesAndLinesWithoutColon) {
  PasswordFile file = ParseOk(Lines({"# operators", "", "   ", "just some words", kAlice,
                                     "#bob:not a hash, but a comment", kGina}));
  EXPECT_EQ(file.size(), 2u);
  EXPECT_TRUE(file.Contains("alice"));
  EXPECT_TRUE(file.Contains("gina"));
  EXPECT_FALSE(file.Contains("#bob"));
  EXPECT_TRUE(file.Verify("gina", "hash-me"));
}

TEST(PasswordFile, TrimsBlanksAroundBothFieldsAndCarriageReturns) {
  std::string alice(kAlice);
  std::string spaced = "  \talice \t: " + alice.substr(alice.find(':') + 1) + " \r";
  PasswordFile file = ParseOk(spaced + "\r\n" + std::string(kBob) + "\r\n");
  EXPECT_TRUE(file.Contains("alice"));
  EXPECT_TRUE(file.Verify("alice", "correct horse"));
  EXPECT_TRUE(file.Verify("bob", "S3cr3t!"));
}

TEST(PasswordFile, LastLineWithoutLineBreakIsRead) {
  PasswordFile file = ParseOk(std::string(kAlice));
  EXPECT_TRUE(file.Verify("alice", "correct horse"));
}

TEST(PasswordFile, MalformedLinesFailWithTheirLineNumber) {
  const std::string good = Lines({"# header", kAlice});  // lines 1 and 2
  struct Case {
    std::string line;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"eve:plaintext", "not a hash"},
      {"eve:", "not a hash"},
      {"eve:$5$AAECAwQFBgcICQoL$abcd", "not supported"},
      {"eve:$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", "not supported"},
      {"eve:$7$101$AAECAwQFBgcICQoL", "fields"},
      {"eve:$7$0$AAECAwQFBgcICQoL$" + std::string(88, 'A'), "iteration"},
      {"eve:$7$-5$AAECAwQFBgcICQoL$" + std::string(88, 'A'), "iteration"},
      {"eve:$7$1x$AAECAwQFBgcICQoL$" + std::string(88, 'A'), "iteration"},
      {"eve:$7$99999999999$AAECAwQFBgcICQoL$" + std::string(88, 'A'), "iteration"},
      // A count no broker should spend on one login (an extra zero or three in a typo).
      {"eve:$7$1000001$AAECAwQFBgcICQoL$" + std::string(86, 'A') + "==", "from 1 to 1000000"},
      {"eve:$7$101$AAECAwQFBgcI$" + std::string(86, 'A') + "==", "salt is 9 bytes"},
      {"eve:$7$101$AAEC*wQFBgcICQoL$" + std::string(86, 'A') + "==", "salt is not"},
      {"eve:$7$101$AAECAwQFBgcICQoL$" + std::string(83, 'A') + "=", "hash is 62 bytes"},
      {"eve:$7$101$AAECAwQFBgcICQoL$" + std::string(87, 'A'), "hash is not"},
      {"eve:$6$AAECAwQFBgcICQoL$" + std::string(86, 'A') + "==$extra", "fields"},
      {":$7$101$AAECAwQFBgcICQoL$" + std::string(86, 'A') + "==", "empty user"},
      {"ev\x01e:$7$101$AAECAwQFBgcICQoL$" + std::string(86, 'A') + "==", "control character"},
      {"alice:$6$AAECAwQFBgcICQoL$" + std::string(86, 'A') + "==", "listed again (first on line 2)"},
  };
  for (const Case& c : cases) {
    std::string message = ParseError(good + c.line + "\n" + std::string(kBob) + "\n");
    EXPECT_THAT(message, HasSubstr("line 3: ")) << c.line;
    EXPECT_THAT(message, HasSubstr(c.why)) << c.line;
  }
}

TEST(PasswordFile, EachSuccessfulParseIsANewGeneration) {
  PasswordFile first = ParseOk(Lines({kAlice}));
  PasswordFile second = ParseOk(Lines({kAlice}));
  EXPECT_NE(first.generation(), second.generation());
}

TEST(HashPasswordLine, MatchesAnIndependentPbkdf2Computation) {
  std::vector<uint8_t> salt(12);
  for (int i = 0; i < 12; ++i) salt[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(HashPasswordLine("gina", "hash-me", 101, salt), kGina);
}

TEST(HashPasswordLine, WritesSixtyFourByteSaltsWhenGivenThem) {
  std::vector<uint8_t> salt(64);
  for (int i = 0; i < 64; ++i) salt[i] = static_cast<uint8_t>((i * 7 + 3) & 0xff);
  EXPECT_EQ(HashPasswordLine("frank", "long-salt-pw", 1000, salt), kFrank);
}

TEST(HashPasswordLine, RoundTripsThroughParse) {
  std::vector<uint8_t> salt = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 255, 128};
  std::string line = HashPasswordLine("hank", "round trip", 3, salt);
  PasswordFile file = ParseOk(line + "\n");
  EXPECT_TRUE(file.Verify("hank", "round trip"));
  EXPECT_FALSE(file.Verify("hank", "round-trip"));
}

TEST(PasswordHash, FormatReproducesTheParsedField) {
  for (std::string_view line : {kAlice, kBob, kCarol, kFrank}) {
    std::string_view field = line.substr(line.find(':') + 1);
    absl::StatusOr<PasswordHash> hash = PasswordHash::Parse(field);
    ASSERT_TRUE(hash.ok()) << hash.status();
    EXPECT_EQ(hash->Format(), field);
  }
}

TEST(ValidatePasswordFileUser, RefusesWhatCannotBeWrittenAsAUser) {
  EXPECT_TRUE(ValidatePasswordFileUser("device-17/ünicode").ok());
  EXPECT_FALSE(ValidatePasswordFileUser("").ok());
  EXPECT_FALSE(ValidatePasswordFileUser("a:b").ok());
  EXPECT_FALSE(ValidatePasswordFileUser("a\nb").ok());
  EXPECT_FALSE(ValidatePasswordFileUser("a\x7f").ok());
  EXPECT_FALSE(ValidatePasswordFileUser(std::string(65536, 'u')).ok());
}

TEST(Base64, EncodesRfc4648Vectors) {
  auto encode = [](std::string_view text) {
    return Base64Encode({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  };
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::vector<uint8_t>{0xfb, 0xff}), "+/8=");
}

TEST(Base64, DecodesOnlyCanonicalPaddedText) {
  auto decode = [](std::string_view text) -> std::string {
    std::optional<std::vector<uint8_t>> bytes = Base64Decode(text);
    return bytes ? std::string(bytes->begin(), bytes->end()) : "<invalid>";
  };
  EXPECT_EQ(decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(decode("Zm9vYg=="), "foob");
  EXPECT_EQ(decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(decode("+/8="), "\xfb\xff");
  EXPECT_EQ(decode(""), "");
  EXPECT_EQ(decode("Zm9vYg"), "<invalid>");     // padding missing
  EXPECT_EQ(decode("Zm9vYh=="), "<invalid>");   // non-zero unused bits
  EXPECT_EQ(decode("Zm9=YmFy"), "<invalid>");   // '=' inside
  EXPECT_EQ(decode("Zm9v\nYmFy"), "<invalid>");  // line break
  EXPECT_EQ(decode("Zm9-YmFy"), "<invalid>");   // URL-safe alphabet
  EXPECT_EQ(decode("===="), "<invalid>");
}

}  // namespace
}  // namespace ringmq
