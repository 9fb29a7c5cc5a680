#include "net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "net/home_shard.h"

namespace ringmq {
namespace {

TEST(ListenAddressTest, ParsesIpv4Ipv6AndBarePort) {
  absl::StatusOr<ListenAddress> v4 = ParseListenAddress("127.0.0.1:1883");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 1883);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:1883");

  absl::StatusOr<ListenAddress> v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:0");

  absl::StatusOr<ListenAddress> any = ParseListenAddress(":1884");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "0.0.0.0");
}

TEST(ListenAddressTest, RejectsBadInput) {
  EXPECT_FALSE(ParseListenAddress("1883").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:http").ok());
  EXPECT_FALSE(ParseListenAddress("localhost:1883").ok());
}

TEST(OpenListenersTest, EphemeralPortIsSharedByEveryShard) {
  absl::StatusOr<ListenAddress> address = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(address.ok());
  absl::StatusOr<std::vector<int>> fds = OpenListeners(*address, 3, 10);
  ASSERT_TRUE(fds.ok()) << fds.status();
  EXPECT_EQ(fds->size(), 3u);
  EXPECT_NE(address->port, 0);
  for (int fd : *fds) close(fd);
}

TEST(OpenListenersTest, AcceptWaitsForTheFirstBytes) {
  absl::StatusOr<ListenAddress> address = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(address.ok());
  absl::StatusOr<std::vector<int>> fds = OpenListeners(*address, 1, 10);
  ASSERT_TRUE(fds.ok()) << fds.status();
  int defer_s = 0;
  socklen_t size = sizeof(defer_s);
  ASSERT_EQ(getsockopt(fds->front(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, &size), 0);
  EXPECT_GE(defer_s, 10);  // the kernel rounds up to its SYN-ACK retransmission schedule
  close(fds->front());
}

TEST(HomeShardTest, FnvMatchesReferenceValues) {
  // FNV-1a 64-bit reference values.
  EXPECT_EQ(Fnv1a64(""), 14695981039346656037ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(HomeShard("a", 1), 0);
  EXPECT_EQ(HomeShard("a", 4), static_cast<int>(0xaf63dc4c8601ec8cull % 4));
}

}  // namespace
}  // namespace ringmq
