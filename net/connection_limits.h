// Broker-wide admission limits applied when a connection is accepted: connections per client address
// (--max_connections_per_ip) and new connections per second per listener (--max_connect_rate).
//
// A host's connections land on every shard (SO_REUSEPORT spreads them), and a connection can move to
// another shard with its CONNECT, so both counts are broker-wide. Neither is touched on the message
// path: only at accept and at the final close of a socket.
// Thread ownership: shared by all shard threads; every member is safe to call concurrently.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"

namespace ringmq {

// A peer's IP address: IPv6, with IPv4 in its mapped form (::ffff:a.b.c.d), so a host reaching a
// dual-stack listener both ways is one peer.
using PeerAddress = std::array<uint8_t, 16>;

std::optional<PeerAddress> PeerAddressOf(const sockaddr_storage& address);
// getpeername(2) of a connected socket; nullopt if the socket is gone already.
std::optional<PeerAddress> PeerAddressOfSocket(int fd);

// Open connections per peer address. Exact counts in a hash table cut into stripes, each behind its
// own mutex: an accept on one shard contends only with an accept or close of an address in the same
// stripe on another shard, for one hash-table update. Chosen over a lock-free array of hashed
// counters, which is cheaper but lets two addresses share a count: a collision would refuse an
// innocent host, and an attacker who finds one could lock it out.
class PerIpConnections {
 public:
  explicit PerIpConnections(uint32_t limit) : limit_(limit) {}
  PerIpConnections(const PerIpConnections&) = delete;
  PerIpConnections& operator=(const PerIpConnections&) = delete;

  // Counts one more connection of `peer` unless it has `limit` already; false: refused.
  bool TryAdd(const PeerAddress& peer) { return TryAdd(peer, limit_); }
  // The same against a limit given now (--max_connections_per_ip changed on SIGHUP): connections
  // counted under an earlier limit stay counted.
  bool TryAdd(const PeerAddress& peer, uint32_t limit);
  // A connection counted by TryAdd is closed.
  void Remove(const PeerAddress& peer);
  uint32_t CountOf(const PeerAddress& peer);

 private:
  static constexpr size_t kStripes = 64;
  struct alignas(64) Stripe {
    std::mutex mu;
    absl::flat_hash_map<PeerAddress, uint32_t> counts;  // only addresses with connections open
  };
  Stripe& StripeOf(const PeerAddress& peer);

  const uint32_t limit_;
  std::array<Stripe, kStripes> stripes_;
};

// New connections per second on one listener, in windows of one wall-clock second of the monotonic
// clock: at most `per_second` in each. (A burst of up to twice that can straddle a window edge; a
// token bucket would smooth it, at the cost of a second atomic or a lock.) Lock-free: the window and
// its count share one 64-bit word that a compare-and-swap advances.
class ConnectRateLimiter {
 public:
  explicit ConnectRateLimiter(uint32_t per_second) : per_second_(per_second) {}
  // Counts a connection accepted at `now_ms`; false when the window's budget is spent (refused).
  bool TryAccept(int64_t now_ms) { return TryAccept(now_ms, per_second_); }
  // The same against a rate given now (--max_connect_rate changed on SIGHUP).
  bool TryAccept(int64_t now_ms, uint32_t per_second);

 private:
  const uint32_t per_second_;
  std::atomic<uint64_t> window_and_count_{0};  // (second << 32) | connections accepted in it
};

}  // namespace ringmq
