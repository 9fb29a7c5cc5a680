// The stream layer of real shards: two shards on a loopback listener whose factory gives every
// connection a test transport (a 3-byte handshake, then every byte XORed), driven by plain sockets.
// Only shard 0 listens, so half the clients are handed over to shard 1.
// Covers the handshake answer, MQTT through Receive and Send (a large payload borrowed from its
// message), a CONNECT handed to the other shard with its stream, the transport's closing form, and
// --connect_timeout for a stalled handshake. The real transports (TLS, WebSocket, PROXY) have their
// own tests; this one pins down what the shard does with any of them.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "net/access_policy.h"
#include "net/home_shard.h"
#include "net/listener.h"
#include "net/runtime_limits.h"
#include "net/shard.h"

namespace ringmq {
namespace {

constexpr uint8_t kKey = 0x5c;
constexpr int kShards = 2;

std::string Xor(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c ^ kKey);
  return out;
}

// Wants "HI!" first and answers "OK!"; then XORs both ways. Its closing form is XOR("BYE").
class XorTransform : public StreamTransform {
 public:
  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    for (uint8_t byte : in) {
      if (greeting_ < 3) {
        if (byte != "HI!"[greeting_]) return absl::InvalidArgumentError("bad greeting");
        if (++greeting_ == 3) sinks.down.append("OK!");
        continue;
      }
      sinks.up.push_back(static_cast<char>(byte ^ kKey));
    }
    return absl::OkStatus();
  }
  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    if (!established()) return absl::FailedPreconditionError("send before the handshake");
    for (uint8_t byte : in) down.push_back(static_cast<char>(byte ^ kKey));
    return absl::OkStatus();
  }
  void Close(std::string& down) override { down.append(Xor("BYE")); }
  bool established() const override { return greeting_ == 3; }
  std::string_view name() const override { return "xor"; }

 private:
  int greeting_ = 0;
};

std::string Remaining(size_t n) {
  std::string out;
  do {
    uint8_t digit = n % 128;
    n /= 128;
    if (n > 0) digit |= 0x80;
    out.push_back(static_cast<char>(digit));
  } while (n > 0);
  return out;
}

std::string Utf8(std::string_view text) {
  return std::string{static_cast<char>(text.size() >> 8), static_cast<char>(text.size() & 0xff)} + std::string(text);
}

std::string Connect(std::string_view client_id) {
  const std::string body = Utf8("MQTT") + std::string("\x04\x02\x00\x3c", 4) + Utf8(client_id);
  return "\x10" + Remaining(body.size()) + body;
}

std::string Subscribe(std::string_view filter) {
  const std::string body = std::string("\x00\x01", 2) + Utf8(filter) + std::string(1, '\0');
  return "\x82" + Remaining(body.size()) + body;
}

std::string Publish(std::string_view topic, std::string_view payload) {
  const std::string body = Utf8(topic) + std::string(payload);
  return "\x30" + Remaining(body.size()) + body;
}

class ShardStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.shards = kShards;
    config_.connect_timeout_s = 1;
    config_.sys_interval_s = 0;
    config_.pin_threads = false;
    config_.recv_buffer_count = 64;
    config_.listen.push_back(ListenUrl{.address = {"127.0.0.1", 0}});
    // Shard 0 alone accepts: every CONNECT of a client id homed on shard 1 is handed over there.
    absl::StatusOr<std::vector<int>> fds = OpenListeners(config_.listen[0].address, 1, 0);
    ASSERT_TRUE(fds.ok()) << fds.status();
    port_ = config_.listen[0].address.port;
    absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy = LoadAccessPolicy(config_.access, 1);
    ASSERT_TRUE(policy.ok()) << policy.status();
    policies_ = std::make_unique<AccessPolicyStore>(*policy);
    mesh_ = std::make_unique<ShardMesh>(kShards, config_.cross_shard_queue_size);
    shared_.access_policies = policies_.get();
    limits_ = std::make_unique<RuntimeLimitsStore>(std::make_shared<const RuntimeLimits>(RuntimeLimits::From(config_, 1)));
    shared_.runtime_limits = limits_.get();
    shared_.transform_factories.push_back([] { return std::make_unique<XorTransform>(); });
    stats_ = std::vector<ShardStats>(kShards);
    for (int i = 0; i < kShards; ++i) {
      shards_.push_back(std::make_unique<Shard>(i, config_, *mesh_, shared_, stats_,
                                                i == 0 ? *fds : std::vector<int>{}));
    }
    for (int i = 0; i < kShards; ++i) {
      threads_.emplace_back([this, i] { EXPECT_TRUE(shards_[i]->Run().ok()); });
    }
  }

  void TearDown() override {
    shared_.stopping.store(true, std::memory_order_release);
    for (int i = 0; i < kShards; ++i) mesh_->Wake(i);
    for (std::thread& thread : threads_) thread.join();
    shards_.clear();
  }

  int Dial() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }

  static void SendAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Exactly `size` bytes (fewer if the broker closes first), waiting at most 5 s.
  static std::string ReadExactly(int fd, size_t size) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < size && std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{fd, POLLIN, 0};
      if (poll(&poll_fd, 1, 100) <= 0) continue;
      char buffer[65536];
      const ssize_t n = recv(fd, buffer, std::min(sizeof(buffer), size - out.size()), 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

  // True once the broker closed the connection (within `seconds`).
  static bool ClosedWithin(int fd, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{fd, POLLIN, 0};
      if (poll(&poll_fd, 1, 100) <= 0) continue;
      char buffer[4096];
      if (recv(fd, buffer, sizeof(buffer), 0) <= 0) return true;
    }
    return false;
  }

  // A connection through the transport, CONNECTed as `client_id` (CONNACK 0).
  int Connected(std::string_view client_id) {
    const int fd = Dial();
    SendAll(fd, "HI!" + Xor(Connect(client_id)));
    EXPECT_EQ(ReadExactly(fd, 3), "OK!");
    EXPECT_EQ(ReadExactly(fd, 4), Xor(std::string("\x20\x02\x00\x00", 4))) << client_id;
    return fd;
  }

  BrokerConfig config_;
  uint16_t port_ = 0;
  std::unique_ptr<AccessPolicyStore> policies_;
  std::unique_ptr<RuntimeLimitsStore> limits_;
  std::unique_ptr<ShardMesh> mesh_;
  BrokerShared shared_;
  std::vector<ShardStats> stats_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
};

// Client ids homed on each shard: those of shard 1 arrive on shard 0 and are handed over with their
// stream.
std::string IdOnShard(int shard, int n) {
  for (int i = 0;; ++i) {
    std::string id = "xor-" + std::to_string(n) + "-" + std::to_string(i);
    if (HomeShard(id, kShards) == shard) return id;
  }
}

TEST_F(ShardStreamTest, MqttFlowsThroughTheTransportOnBothShards) {
  const std::string payload(20000, 'p');  // above --shared_payload_threshold: borrowed, not copied
  for (int round = 0; round < 4; ++round) {
    const int subscriber = Connected(IdOnShard(round % kShards, round));
    SendAll(subscriber, Xor(Subscribe("xor/t")));
    EXPECT_EQ(ReadExactly(subscriber, 5), Xor(std::string("\x90\x03\x00\x01\x00", 5)));
    const int publisher = Connected(IdOnShard((round + 1) % kShards, round + 100));
    SendAll(publisher, Xor(Publish("xor/t", payload)));
    const std::string expected = Publish("xor/t", payload);
    EXPECT_EQ(ReadExactly(subscriber, expected.size()), Xor(expected)) << "round " << round;
    // DISCONNECT: the transport's closing form, then the end of the stream.
    SendAll(publisher, Xor(std::string("\xe0\x00", 2)));
    EXPECT_EQ(ReadExactly(publisher, 3), Xor("BYE"));
    EXPECT_TRUE(ClosedWithin(publisher, 5));
    close(publisher);
    close(subscriber);
  }
  EXPECT_EQ(stats_[0].connections_accepted.Get(), 8u);
  EXPECT_EQ(stats_[1].connections_accepted.Get(), 0u);  // its four clients came by handoff
}

TEST_F(ShardStreamTest, AStalledHandshakeIsClosedByTheConnectTimeout) {
  const int fd = Dial();
  SendAll(fd, "HI");  // one byte short
  EXPECT_TRUE(ClosedWithin(fd, 4));
  close(fd);
}

TEST_F(ShardStreamTest, ATransportErrorClosesOnlyThatConnection) {
  const int bad = Dial();
  SendAll(bad, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(ClosedWithin(bad, 4));
  close(bad);
  const int good = Connected(IdOnShard(0, 7));
  close(good);
}

}  // namespace
}  // namespace ringmq
