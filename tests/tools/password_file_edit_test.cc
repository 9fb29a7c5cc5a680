// The text edits of ringmq-passwd: only the named user's line changes, everything else is kept byte
// for byte.
#include "tools/passwd/password_file_edit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kFile =
    "# fleet accounts\n"
    "alice:$7$101$old-alice\n"
    "\n"
    "not a user line\n"
    "  bob  :  $7$101$old-bob  \r\n"
    "#carol:commented out\n";

TEST(SetUserLine, ReplacesTheUsersLineInPlaceAndKeepsTheRest) {
  EXPECT_EQ(SetUserLine(kFile, "bob", "bob:NEW"),
            "# fleet accounts\n"
            "alice:$7$101$old-alice\n"
            "\n"
            "not a user line\n"
            "bob:NEW\n"
            "#carol:commented out\n");
}

TEST(SetUserLine, AppendsAnAbsentUser) {
  EXPECT_EQ(SetUserLine(kFile, "carol", "carol:NEW"), std::string(kFile) + "carol:NEW\n");
  EXPECT_EQ(SetUserLine("", "carol", "carol:NEW"), "carol:NEW\n");
  EXPECT_EQ(SetUserLine("alice:x", "carol", "carol:NEW"), "alice:x\ncarol:NEW\n");
}

TEST(SetUserLine, LeavesOneLineForAUserListedTwice) {
  EXPECT_EQ(SetUserLine("alice:1\nbob:2\nalice:3\n", "alice", "alice:NEW"), "alice:NEW\nbob:2\n");
}

TEST(SetUserLine, UserNamesMatchExactly) {
  EXPECT_EQ(SetUserLine("alice:1\nAlice:2\nalice2:3\n", "alice", "alice:NEW"),
            "alice:NEW\nAlice:2\nalice2:3\n");
}

TEST(DeleteUser, RemovesEveryLineOfTheUserOnly) {
  absl::StatusOr<std::string> text = DeleteUser(kFile, "alice");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "# fleet accounts\n"
            "\n"
            "not a user line\n"
            "  bob  :  $7$101$old-bob  \r\n"
            "#carol:commented out\n");
  EXPECT_EQ(*DeleteUser("a:1\nb:2\na:3", "a"), "b:2\n");
}

TEST(DeleteUser, AbsentUserIsNotFound) {
  EXPECT_EQ(DeleteUser(kFile, "carol").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(DeleteUser("", "carol").status().code(), absl::StatusCode::kNotFound);
}

std::string FakeHash(std::string_view user, std::string_view password) {
  return std::string(user) + ":H(" + std::string(password) + ")";
}

TEST(HashPlainTextLines, HashesEachUserLineWithTheTrimmedPassword) {
  absl::StatusOr<std::string> text =
      HashPlainTextLines("# plain\n alice : pass word \nbob:a:b\r\n\nwords\n", FakeHash);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "# plain\nalice:H(pass word)\nbob:H(a:b)\n\nwords\n");
}

TEST(HashPlainTextLines, RefusesAFileThatIsAlreadyHashed) {
  std::string hashed =
      "alice:$7$101$AAECAwQFBgcICQoL$YBVkwHhaAqI1RbQa1YOpv5J5nP+WNGyC/rj4DVI3fAq6LrzPlTfczkCbU2qBGsMvMUlf1xodf3b"
      "oQHDRGpNdsg==\n";
  absl::StatusOr<std::string> text = HashPlainTextLines("bob:plain\n" + hashed, FakeHash);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("line 2"));
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("already hashed"));
}

TEST(HashPlainTextLines, RefusesAnInvalidUserName) {
  absl::StatusOr<std::string> text = HashPlainTextLines("ok:1\n:nobody\n", FakeHash);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("line 2: empty user name"));
}

}  // namespace
}  // namespace ringmq
