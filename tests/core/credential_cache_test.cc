// The per-shard cache of verified passwords: hits only for the exact password that verified, never
// for a failure, and nothing survives a reload that changed the file.
#include "core/credential_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/password_file.h"

namespace ringmq {
namespace {

// Few iterations: these tests are about the cache, not the hash.
PasswordFile MakeFile(const std::vector<std::pair<std::string, std::string>>& users) {
  std::string text;
  std::vector<uint8_t> salt(12, 7);
  for (const auto& [user, password] : users) text += HashPasswordLine(user, password, 2, salt) + "\n";
  absl::StatusOr<PasswordFile> file = PasswordFile::Parse(text);
  EXPECT_TRUE(file.ok()) << file.status();
  return *std::move(file);
}

TEST(CredentialCache, SecondLoginWithTheSamePasswordIsAHit) {
  PasswordFile file = MakeFile({{"alice", "a-pw"}});
  CredentialCache cache(8);
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CredentialCache, WrongPasswordsAreNeverRememberedOrAccepted) {
  PasswordFile file = MakeFile({{"alice", "a-pw"}});
  CredentialCache cache(8);
  EXPECT_FALSE(cache.Verify(file, "alice", "wrong"));
  EXPECT_FALSE(cache.Verify(file, "alice", "wrong"));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
  EXPECT_FALSE(cache.Verify(file, "alice", "wrong"));  // a remembered good password admits no other
  EXPECT_FALSE(cache.Verify(file, "alice", "a-pw "));
  EXPECT_FALSE(cache.Verify(file, "mallory", "a-pw"));
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
}

TEST(CredentialCache, OneUsersPasswordDoesNotOpenAnotherAccount) {
  PasswordFile file = MakeFile({{"alice", "shared"}, {"bob", "b-pw"}});
  CredentialCache cache(8);
  EXPECT_TRUE(cache.Verify(file, "alice", "shared"));
  EXPECT_FALSE(cache.Verify(file, "bob", "shared"));
  EXPECT_TRUE(cache.Verify(file, "bob", "b-pw"));
  EXPECT_TRUE(cache.Verify(file, "alice", "shared"));
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(CredentialCache, UserAndPasswordBoundariesAreNotConfused) {
  PasswordFile file = MakeFile({{"ab", "c"}, {"a", "bc"}});
  CredentialCache cache(8);
  EXPECT_TRUE(cache.Verify(file, "ab", "c"));
  EXPECT_FALSE(cache.Verify(file, "a", "c"));
  EXPECT_TRUE(cache.Verify(file, "a", "bc"));
  EXPECT_FALSE(cache.Verify(file, "ab", "bc"));
}

TEST(CredentialCache, ReloadWithAChangedPasswordStopsTheOldOne) {
  PasswordFile before = MakeFile({{"alice", "old"}, {"bob", "b-pw"}});
  CredentialCache cache(8);
  ASSERT_TRUE(cache.Verify(before, "alice", "old"));
  ASSERT_TRUE(cache.Verify(before, "alice", "old"));
  ASSERT_EQ(cache.hits(), 1u);

  PasswordFile after = MakeFile({{"alice", "new"}, {"bob", "b-pw"}});
  EXPECT_FALSE(cache.Verify(after, "alice", "old"));
  EXPECT_TRUE(cache.Verify(after, "alice", "new"));
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(CredentialCache, ReloadWithoutTheUserStopsItsLogin) {
  PasswordFile before = MakeFile({{"alice", "a-pw"}, {"bob", "b-pw"}});
  CredentialCache cache(8);
  ASSERT_TRUE(cache.Verify(before, "bob", "b-pw"));
  PasswordFile after = MakeFile({{"alice", "a-pw"}});
  EXPECT_FALSE(cache.Verify(after, "bob", "b-pw"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCache, ReloadOfAnIdenticalFileStartsAfresh) {
  PasswordFile before = MakeFile({{"alice", "a-pw"}});
  CredentialCache cache(8);
  ASSERT_TRUE(cache.Verify(before, "alice", "a-pw"));
  PasswordFile after = before;  // a copy is the same generation: the cache keeps its entries
  EXPECT_TRUE(cache.Verify(after, "alice", "a-pw"));
  EXPECT_EQ(cache.hits(), 1u);
  PasswordFile reparsed = MakeFile({{"alice", "a-pw"}});
  EXPECT_TRUE(cache.Verify(reparsed, "alice", "a-pw"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(CredentialCache, NewPasswordReplacesTheRememberedOne) {
  // Two passwords cannot both verify against one file, so use two generations of one cache's life:
  // after a reload the new one is remembered and the old one is not.
  PasswordFile first = MakeFile({{"alice", "one"}});
  PasswordFile second = MakeFile({{"alice", "two"}});
  CredentialCache cache(8);
  ASSERT_TRUE(cache.Verify(first, "alice", "one"));
  ASSERT_TRUE(cache.Verify(second, "alice", "two"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Verify(second, "alice", "one"));
}

TEST(CredentialCache, StaysWithinCapacityAndKeepsRecentlyUsedUsers) {
  std::vector<std::pair<std::string, std::string>> users;
  // absl::StrCat, not operator+: GCC 12 warns (-Wrestrict) on "u" + std::to_string(i).
  for (int i = 0; i < 10; ++i) users.push_back({absl::StrCat("u", i), absl::StrCat("p", i)});
  PasswordFile file = MakeFile(users);
  CredentialCache cache(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(cache.Verify(file, users[i].first, users[i].second));
  ASSERT_TRUE(cache.Verify(file, "u0", "p0"));  // a hit: u0 gets a second chance
  EXPECT_EQ(cache.hits(), 1u);
  ASSERT_TRUE(cache.Verify(file, "u4", "p4"));  // evicts one of u1..u3, not u0
  EXPECT_EQ(cache.size(), 4u);
  uint64_t hits = cache.hits();
  EXPECT_TRUE(cache.Verify(file, "u0", "p0"));
  EXPECT_TRUE(cache.Verify(file, "u4", "p4"));
  EXPECT_EQ(cache.hits(), hits + 2);
  for (const auto& [user, password] : users) EXPECT_TRUE(cache.Verify(file, user, password));
  EXPECT_EQ(cache.size(), 4u);
}

TEST(CredentialCache, ZeroCapacityStillVerifies) {
  PasswordFile file = MakeFile({{"alice", "a-pw"}});
  CredentialCache cache(0);
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
  EXPECT_TRUE(cache.Verify(file, "alice", "a-pw"));
  EXPECT_FALSE(cache.Verify(file, "alice", "b-pw"));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
}

}  // namespace
}  // namespace ringmq
