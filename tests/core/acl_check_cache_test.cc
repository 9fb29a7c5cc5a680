#include "core/acl_check_cache.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/acl.h"

namespace ringmq {
namespace {

AclFile Parse(std::string_view text) {
  absl::StatusOr<AclFile> acl = AclFile::Parse(text);
  EXPECT_TRUE(acl.ok()) << acl.status();
  return *std::move(acl);
}

constexpr std::string_view kAcl =
    "topic read public/#\n"
    "pattern readwrite devices/%c/#\n"
    "pattern deny devices/%c/locked\n"
    "pattern write up/%c\n";

TEST(AclCheckCache, RepeatsAreHitsWithTheSameAnswers) {
  const AclFile acl = Parse(kAcl);
  const std::string id = "d1";
  const AclBinding binding = acl.Bind(std::nullopt, id);
  AclCheckCache cache(16);
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(cache.MayPublish(acl, binding, "devices/d1/t"));
    EXPECT_TRUE(cache.MayReceive(acl, binding, "devices/d1/t"));
    EXPECT_FALSE(cache.MayPublish(acl, binding, "devices/d1/locked"));
    EXPECT_TRUE(cache.MayPublish(acl, binding, "up/d1"));
    EXPECT_FALSE(cache.MayReceive(acl, binding, "up/d1"));  // read and write are learnt separately
    EXPECT_FALSE(cache.MayPublish(acl, binding, "public/x"));
    EXPECT_TRUE(cache.MayReceive(acl, binding, "public/x"));
  }
  EXPECT_EQ(cache.misses() + cache.hits(), 21u);
  EXPECT_GE(cache.hits(), 7u);  // 16 slots for 5 topics: most of rounds 2 and 3 hit
}

TEST(AclCheckCache, AnotherBindingAtTheSameAddressDoesNotInheritAnswers) {
  const AclFile acl = Parse(kAcl);
  AclCheckCache cache(1);  // one slot: every key competes for it
  std::optional<AclBinding> binding;
  const std::string a = "a";
  const std::string b = "b";
  binding.emplace(acl.Bind(std::nullopt, a));
  EXPECT_TRUE(cache.MayPublish(acl, *binding, "devices/a/t"));
  // Same storage, another client: its own answers, not the cached ones.
  binding.emplace(acl.Bind(std::nullopt, b));
  EXPECT_FALSE(cache.MayPublish(acl, *binding, "devices/a/t"));
  EXPECT_EQ(cache.hits(), 0u);
  // A rebind of the same client is a new serial too (e.g. after a reload).
  const AclBinding again = acl.Bind(std::nullopt, a);
  EXPECT_NE(again.serial(), 0u);
  EXPECT_TRUE(cache.MayPublish(acl, again, "devices/a/t"));
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(AclCheckCache, LongTopicsBypassTheCache) {
  const AclFile acl = Parse(kAcl);
  const std::string id = "d";
  const AclBinding binding = acl.Bind(std::nullopt, id);
  AclCheckCache cache(8);
  const std::string longest = "devices/d/" + std::string(AclCheckCache::kMaxTopicSize - 10, 'x');
  const std::string too_long = longest + "y";
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(cache.MayPublish(acl, binding, longest));
    EXPECT_TRUE(cache.MayPublish(acl, binding, too_long));
  }
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_FALSE(cache.MayPublish(acl, AclBinding(), "devices/d/t"));  // unbound: no serial, not cached
}

TEST(AclCheckCache, AgreesWithTheUncachedChecks) {
  const AclFile acl = Parse(kAcl);
  std::vector<std::string> ids = {"a", "b", "c", "d+", ""};
  std::vector<AclBinding> bindings;
  for (const std::string& id : ids) bindings.push_back(acl.Bind(std::nullopt, id));
  const char* const topics[] = {"devices/a/t", "devices/b/t", "devices/c/locked", "up/a", "up/b", "public/x", "devices/", "x"};
  AclCheckCache cache(4);  // small, so replacement happens all the time
  std::mt19937 random(11);
  for (int i = 0; i < 20000; ++i) {
    const AclBinding& binding = bindings[random() % bindings.size()];
    const char* topic = topics[random() % 8];
    if (random() % 2 == 0) {
      ASSERT_EQ(cache.MayPublish(acl, binding, topic), acl.MayPublish(binding, topic)) << topic;
    } else {
      ASSERT_EQ(cache.MayReceive(acl, binding, topic), acl.MayReceive(binding, topic)) << topic;
    }
  }
  EXPECT_GT(cache.hits(), 0u);
  EXPECT_GT(cache.misses(), 0u);
}

}  // namespace
}  // namespace ringmq
