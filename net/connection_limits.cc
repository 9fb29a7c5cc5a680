#include "net/connection_limits.h"

#include <netinet/in.h>

#include <cstring>

#include "absl/hash/hash.h"

namespace ringmq {

std::optional<PeerAddress> PeerAddressOf(const sockaddr_storage& address) {
  PeerAddress peer{};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    peer[10] = 0xff;
    peer[11] = 0xff;
    std::memcpy(peer.data() + 12, &v4.sin_addr, 4);
    return peer;
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(peer.data(), &v6.sin6_addr, 16);
    return peer;
  }
  return std::nullopt;
}

std::optional<PeerAddress> PeerAddressOfSocket(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return std::nullopt;
  return PeerAddressOf(address);
}

PerIpConnections::Stripe& PerIpConnections::StripeOf(const PeerAddress& peer) {
  return stripes_[absl::Hash<PeerAddress>{}(peer) % kStripes];
}

bool PerIpConnections::TryAdd(const PeerAddress& peer, uint32_t limit) {
  Stripe& stripe = StripeOf(peer);
  std::lock_guard lock(stripe.mu);
  uint32_t& count = stripe.counts[peer];
  if (count >= limit) {
    if (count == 0) stripe.counts.erase(peer);
    return false;
  }
  ++count;
  return true;
}

void PerIpConnections::Remove(const PeerAddress& peer) {
  Stripe& stripe = StripeOf(peer);
  std::lock_guard lock(stripe.mu);
  auto it = stripe.counts.find(peer);
  if (it == stripe.counts.end()) return;
  if (--it->second == 0) stripe.counts.erase(it);
}

uint32_t PerIpConnections::CountOf(const PeerAddress& peer) {
  Stripe& stripe = StripeOf(peer);
  std::lock_guard lock(stripe.mu);
  auto it = stripe.counts.find(peer);
  return it == stripe.counts.end() ? 0 : it->second;
}

bool ConnectRateLimiter::TryAccept(int64_t now_ms, uint32_t per_second) {
  const uint64_t second = static_cast<uint64_t>(now_ms / 1000) & 0xffffffffu;
  uint64_t old = window_and_count_.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t next;
    // A shard whose clock reading is a little older counts in the window another shard opened.
    if ((old >> 32) < second) {
      next = (second << 32) | 1;  // a new window
    } else if ((old & 0xffffffffu) >= per_second) {
      return false;
    } else {
      next = old + 1;
    }
    if (window_and_count_.compare_exchange_weak(old, next, std::memory_order_relaxed)) return true;
  }
}

}  // namespace ringmq
