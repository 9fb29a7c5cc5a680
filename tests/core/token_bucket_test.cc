#include "core/token_bucket.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace ringmq {
namespace {

TEST(TokenBucketTest, StartsFullAndLendsBeyondItsTokens) {
  TokenBucket bucket(/*rate=*/10, /*burst=*/10, /*now_ms=*/0);
  EXPECT_EQ(bucket.Tokens(0), 10);
  for (int i = 0; i < 10; ++i) bucket.Take(1, 0);
  EXPECT_EQ(bucket.WaitMs(0), 0);  // empty, not in debt
  bucket.Take(1, 0);
  EXPECT_EQ(bucket.Tokens(0), -1);
  EXPECT_EQ(bucket.WaitMs(0), 100);  // one token at 10 per second
}

TEST(TokenBucketTest, DebtIsPaidByTheRateInMilliseconds) {
  TokenBucket bucket(1000, 1000, 0);
  bucket.Take(3000, 0);  // 2000 tokens of debt
  EXPECT_EQ(bucket.WaitMs(0), 2000);
  EXPECT_EQ(bucket.WaitMs(500), 1500);
  EXPECT_EQ(bucket.WaitMs(2000), 0);
  EXPECT_EQ(bucket.Tokens(2000), 0);
}

TEST(TokenBucketTest, RefillStopsAtTheBurst) {
  TokenBucket bucket(100, 50, 0);
  bucket.Take(50, 0);
  EXPECT_EQ(bucket.Tokens(10'000), 50);
  bucket.Take(50, 10'000);
  EXPECT_EQ(bucket.Tokens(10'000), 0);
}

TEST(TokenBucketTest, TimeGoingBackwardsChangesNothing) {
  TokenBucket bucket(10, 10, 1000);
  bucket.Take(15, 1000);
  EXPECT_EQ(bucket.WaitMs(900), 500);
  EXPECT_EQ(bucket.WaitMs(1000), 500);
}

TEST(TokenBucketTest, LongIdleAtAHighRateDoesNotOverflow) {
  TokenBucket bucket(4'000'000'000ull, 4'000'000'000ull, 0);
  bucket.Take(4'000'000'000ull, 0);
  EXPECT_EQ(bucket.Tokens(int64_t{1} << 50), 4'000'000'000ll);
}

// A client that takes a token whenever the bucket is out of debt gets the rate plus the burst.
TEST(TokenBucketTest, AWaitingTakerGetsTheRate) {
  TokenBucket bucket(200, 200, 0);
  int64_t now = 0;
  int taken = 0;
  while (now < 10'000) {
    const int64_t wait = bucket.WaitMs(now);
    if (wait > 0) {
      now += wait;
      continue;
    }
    bucket.Take(1, now);
    ++taken;
  }
  EXPECT_GE(taken, 200 * 10 + 200 - 1);
  EXPECT_LE(taken, 200 * 10 + 200 + 1);
}

}  // namespace
}  // namespace ringmq
