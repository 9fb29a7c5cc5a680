// Per-bridge figures for the metrics: written by the bridge's shard, read by the metrics endpoint.
//
// Thread ownership: created by the broker's main thread before the shards start, owned by
// BrokerShared; relaxed atomics, so any thread may read them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ringmq {

struct BridgeStats {
  explicit BridgeStats(std::string bridge_name) : name(std::move(bridge_name)) {}
  const std::string name;
  std::atomic<int64_t> connected{0};      // 1 while the remote has accepted the bridge
  std::atomic<uint64_t> reconnects{0};    // connection attempts after the first
  std::atomic<uint64_t> messages_in{0};   // PUBLISHes from the remote published locally
  std::atomic<uint64_t> messages_out{0};  // PUBLISHes sent to the remote

  void Add(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace ringmq
