#include "net/connection_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ringmq {
namespace {

PeerAddress V4(const char* text) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, text, &v4.sin_addr);
  return *PeerAddressOf(storage);
}

PeerAddress V6(const char* text) {
  sockaddr_storage storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &v6.sin6_addr);
  return *PeerAddressOf(storage);
}

TEST(PeerAddress, Ipv4AndItsMappedFormAreOnePeer) {
  EXPECT_EQ(V4("192.0.2.7"), V6("::ffff:192.0.2.7"));
  EXPECT_NE(V4("192.0.2.7"), V4("192.0.2.8"));
  EXPECT_NE(V6("::1"), V4("127.0.0.1"));
}

TEST(PerIpConnections, RefusesBeyondTheLimitPerAddress) {
  PerIpConnections limits(2);
  const PeerAddress a = V4("10.0.0.1");
  const PeerAddress b = V4("10.0.0.2");
  EXPECT_TRUE(limits.TryAdd(a));
  EXPECT_TRUE(limits.TryAdd(a));
  EXPECT_FALSE(limits.TryAdd(a));
  EXPECT_TRUE(limits.TryAdd(b));  // another address has its own count
  EXPECT_EQ(limits.CountOf(a), 2u);
  limits.Remove(a);
  EXPECT_TRUE(limits.TryAdd(a));
  limits.Remove(a);
  limits.Remove(a);
  EXPECT_EQ(limits.CountOf(a), 0u);
  limits.Remove(a);  // an extra close must not underflow
  EXPECT_EQ(limits.CountOf(a), 0u);
}

TEST(PerIpConnections, ConcurrentAddsNeverExceedTheLimit) {
  PerIpConnections limits(100);
  const PeerAddress peer = V4("10.0.0.9");
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limits.TryAdd(peer)) admitted.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(limits.CountOf(peer), 100u);
}

TEST(ConnectRateLimiter, AdmitsPerSecondThenRefusesUntilTheNextSecond) {
  ConnectRateLimiter limiter(3);
  EXPECT_TRUE(limiter.TryAccept(5000));
  EXPECT_TRUE(limiter.TryAccept(5100));
  EXPECT_TRUE(limiter.TryAccept(5999));
  EXPECT_FALSE(limiter.TryAccept(5999));
  EXPECT_TRUE(limiter.TryAccept(6000));
  // A shard whose clock reads a little older counts in the newer window.
  EXPECT_TRUE(limiter.TryAccept(5999));
  EXPECT_TRUE(limiter.TryAccept(6500));
  EXPECT_FALSE(limiter.TryAccept(6600));
}

TEST(ConnectRateLimiter, ConcurrentAcceptsNeverExceedTheRate) {
  ConnectRateLimiter limiter(50);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.TryAccept(42000)) admitted.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 50);
}

}  // namespace
}  // namespace ringmq
