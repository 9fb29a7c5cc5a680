#include "routing/match_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/core/alloc_counter.h"

namespace ringmq {
namespace {

using Cache = MatchCache<std::vector<int>>;

// Stores `value` for `topic` at `generation`; returns false when the topic was not cacheable.
bool Put(Cache& cache, std::string_view topic, uint64_t generation, std::vector<int> value) {
  std::vector<int>* slot = cache.Claim(topic, Cache::Hash(topic), generation);
  if (slot == nullptr) return false;
  *slot = std::move(value);
  return true;
}

const std::vector<int>* Get(const Cache& cache, std::string_view topic, uint64_t generation) {
  return cache.Find(topic, Cache::Hash(topic), generation);
}

TEST(MatchCacheTest, MissThenHit) {
  Cache cache(16);
  EXPECT_EQ(Get(cache, "a/b", 0), nullptr);
  ASSERT_TRUE(Put(cache, "a/b", 0, {1, 2}));
  const std::vector<int>* hit = Get(cache, "a/b", 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, (std::vector<int>{1, 2}));
  EXPECT_EQ(Get(cache, "a/c", 0), nullptr);
  EXPECT_EQ(Get(cache, "a/b/", 0), nullptr);
}

TEST(MatchCacheTest, NewGenerationInvalidatesEverything) {
  Cache cache(16);
  ASSERT_TRUE(Put(cache, "a/b", 3, {1}));
  ASSERT_TRUE(Put(cache, "x", 3, {2}));
  EXPECT_EQ(cache.CountValid(3), 2u);
  // The table changed (a subscription was added or removed): no entry may answer any more.
  EXPECT_EQ(Get(cache, "a/b", 4), nullptr);
  EXPECT_EQ(Get(cache, "x", 4), nullptr);
  EXPECT_EQ(cache.CountValid(4), 0u);
  ASSERT_TRUE(Put(cache, "a/b", 4, {7}));
  EXPECT_EQ(*Get(cache, "a/b", 4), (std::vector<int>{7}));
}

TEST(MatchCacheTest, ClearForgetsEntries) {
  Cache cache(16);
  ASSERT_TRUE(Put(cache, "a", 0, {1}));
  cache.Clear();
  EXPECT_EQ(Get(cache, "a", 0), nullptr);
}

TEST(MatchCacheTest, CapacityIsRoundedToPowerOfTwo) {
  EXPECT_EQ(Cache(0).capacity(), 2u);
  EXPECT_EQ(Cache(5).capacity(), 8u);
  EXPECT_EQ(Cache(4096).capacity(), 4096u);
}

TEST(MatchCacheTest, StaysWithinItsBound) {
  Cache cache(64);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(Put(cache, absl::StrCat("t/", i), 1, {i}));
  EXPECT_LE(cache.CountValid(1), 64u);
  EXPECT_GT(cache.CountValid(1), 32u);  // the sets fill up rather than one slot churning
  // Whatever is still cached answers with its own value.
  for (int i = 0; i < 10000; ++i) {
    const std::string topic = absl::StrCat("t/", i);
    if (const std::vector<int>* hit = Get(cache, topic, 1)) {
      EXPECT_EQ(*hit, (std::vector<int>{i}));
    }
  }
}

TEST(MatchCacheTest, TwoTopicsOfOneSetBothStay) {
  Cache cache(2);  // a single set of two ways: every topic collides
  ASSERT_TRUE(Put(cache, "a", 0, {1}));
  ASSERT_TRUE(Put(cache, "b", 0, {2}));
  EXPECT_EQ(*Get(cache, "a", 0), (std::vector<int>{1}));
  EXPECT_EQ(*Get(cache, "b", 0), (std::vector<int>{2}));
  ASSERT_TRUE(Put(cache, "c", 0, {3}));  // evicts the older of the two
  EXPECT_EQ(Get(cache, "a", 0), nullptr);
  EXPECT_EQ(*Get(cache, "b", 0), (std::vector<int>{2}));
  EXPECT_EQ(*Get(cache, "c", 0), (std::vector<int>{3}));
}

TEST(MatchCacheTest, StaleEntryIsReusedBeforeEvictingALiveOne) {
  Cache cache(2);
  ASSERT_TRUE(Put(cache, "a", 0, {1}));
  ASSERT_TRUE(Put(cache, "b", 1, {2}));  // "a" is stale at generation 1
  ASSERT_TRUE(Put(cache, "c", 1, {3}));
  EXPECT_NE(Get(cache, "b", 1), nullptr);
  EXPECT_NE(Get(cache, "c", 1), nullptr);
}

TEST(MatchCacheTest, LongTopicsAreNotCached) {
  Cache cache(16);
  const std::string long_topic(Cache::kMaxTopicLength + 1, 'x');
  EXPECT_FALSE(Put(cache, long_topic, 0, {1}));
  EXPECT_EQ(Get(cache, long_topic, 0), nullptr);
  EXPECT_TRUE(Put(cache, std::string(Cache::kMaxTopicLength, 'x'), 0, {1}));
}

TEST(MatchCacheTest, EntriesAreAllocatedOnlyOnFirstUse) {
  EXPECT_EQ(testing::CountAllocations([] {
              Cache cache(4096);
              EXPECT_EQ(Get(cache, "a", 0), nullptr);
              EXPECT_EQ(cache.CountValid(0), 0u);
            }),
            0);
}

TEST(MatchCacheTest, HitsAndRefillsDoNotAllocate) {
  Cache cache(16);
  const std::string topic = "fleet/r1/veh7/telemetry";
  ASSERT_TRUE(Put(cache, topic, 0, {1, 2, 3}));
  const size_t hash = Cache::Hash(topic);
  EXPECT_EQ(testing::CountAllocations([&] {
              for (int i = 0; i < 100; ++i) ASSERT_NE(cache.Find(topic, hash, 0), nullptr);
            }),
            0);
  // A refill after invalidation reuses the entry's key and value storage.
  EXPECT_EQ(testing::CountAllocations([&] {
              std::vector<int>* slot = cache.Claim(topic, hash, 1);
              ASSERT_NE(slot, nullptr);
              slot->assign({4, 5});
            }),
            0);
  EXPECT_EQ(*cache.Find(topic, hash, 1), (std::vector<int>{4, 5}));
}

// Keys are compared byte for byte whatever their length: short ones inside the slot (word compares
// with an overlapping tail), long ones on the heap. The hash is forged equal so that only the key
// compare can tell the topics apart.
TEST(MatchCacheTest, KeysOfEveryLengthCompareEveryByte) {
  for (size_t length = 1; length <= 70; ++length) {
    Cache cache(2);
    const std::string topic(length, 'a');
    const size_t hash = Cache::Hash(topic);
    ASSERT_NE(cache.Claim(topic, hash, 0), nullptr);
    ASSERT_NE(cache.Find(topic, hash, 0), nullptr) << length;
    for (size_t i = 0; i < length; ++i) {
      std::string other = topic;
      other[i] = 'b';
      EXPECT_EQ(cache.Find(other, hash, 0), nullptr) << "length " << length << " byte " << i;
    }
    EXPECT_EQ(cache.Find(std::string(length + 1, 'a'), hash, 0), nullptr);
    EXPECT_EQ(cache.Find(std::string(length - 1, 'a'), hash, 0), nullptr);
  }
}

TEST(MatchCacheTest, AnEntryMovesBetweenShortAndLongKeys) {
  Cache cache(2);
  const std::string long_topic(100, 'x');
  const std::string short_topic = "fleet/r1/veh7/telemetry";
  ASSERT_TRUE(Put(cache, long_topic, 0, {1}));
  ASSERT_TRUE(Put(cache, short_topic, 1, {2}));  // reuses the slot that held the long key
  ASSERT_TRUE(Put(cache, long_topic, 2, {3}));
  ASSERT_TRUE(Put(cache, short_topic, 2, {4}));
  EXPECT_EQ(*Get(cache, long_topic, 2), (std::vector<int>{3}));
  EXPECT_EQ(*Get(cache, short_topic, 2), (std::vector<int>{4}));
  EXPECT_EQ(Get(cache, long_topic.substr(0, 44), 2), nullptr);
}

}  // namespace
}  // namespace ringmq
