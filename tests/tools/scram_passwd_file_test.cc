#include "tools/scram_passwd/scram_passwd_file.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

ScramVerifier Verifier(const std::string& password) { return DeriveScramVerifier(password, "0123456789abcdef", 4096); }

std::string Line(const std::string& user, const std::string& password) {
  return user + ":" + FormatScramVerifier(Verifier(password));
}

TEST(ScramPasswdFile, AddsToAnEmptyFile) {
  absl::StatusOr<std::string> text = SetScramUser("", "alice", Verifier("a"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, Line("alice", "a") + "\n");
  absl::StatusOr<ScramCredentials> parsed = ParseScramCredentials(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_NE(parsed->Find("alice"), nullptr);
}

TEST(ScramPasswdFile, ReplacesTheUsersLineAndKeepsTheRest) {
  const std::string before = "# fleet users\n" + Line("alice", "a") + "\n\n" + Line("bob", "b");  // no final newline
  absl::StatusOr<std::string> text = SetScramUser(before, "alice", Verifier("new"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "# fleet users\n" + Line("alice", "new") + "\n\n" + Line("bob", "b") + "\n");
}

TEST(ScramPasswdFile, AppendsANewUser) {
  absl::StatusOr<std::string> text = SetScramUser(Line("alice", "a") + "\n", "carol", Verifier("c"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, Line("alice", "a") + "\n" + Line("carol", "c") + "\n");
}

TEST(ScramPasswdFile, DeletesOnlyThatUser) {
  const std::string before = "# c\n" + Line("alice", "a") + "\n" + Line("bob", "b") + "\n";
  absl::StatusOr<std::string> text = DeleteScramUser(before, "alice");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "# c\n" + Line("bob", "b") + "\n");
  EXPECT_TRUE(absl::IsNotFound(DeleteScramUser(*text, "alice").status()));
  EXPECT_TRUE(absl::IsNotFound(DeleteScramUser(*text, "ali").status()));  // not a prefix match
}

TEST(ScramPasswdFile, RefusesToEditAFileThatDoesNotParse) {
  const std::string broken = Line("alice", "a") + "\nbob:$7$101$salt$hash\n";
  absl::StatusOr<std::string> text = SetScramUser(broken, "carol", Verifier("c"));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(std::string(text.status().message()).find("line 2"), std::string::npos) << text.status();
  EXPECT_FALSE(DeleteScramUser(broken, "alice").ok());
}

TEST(ScramPasswdFile, RefusesBadUserNames) {
  EXPECT_FALSE(SetScramUser("", "a:b", Verifier("a")).ok());
  EXPECT_FALSE(SetScramUser("", "caf\xC3\xA9", Verifier("a")).ok());
  EXPECT_FALSE(SetScramUser("", "", Verifier("a")).ok());
}

}  // namespace
}  // namespace ringmq
