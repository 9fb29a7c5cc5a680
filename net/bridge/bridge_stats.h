// Per-bridge figures for the metrics: written by the bridge's shard, read by the metrics endpoint.
//
// Thread ownership: created by the broker's main thread (start-up, or the SIGHUP that added the
// bridge), owned by the BridgeRegistry in BrokerShared and never freed before it; relaxed atomics, so
// any thread may read them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ringmq {

struct BridgeStats {
  explicit BridgeStats(std::string bridge_name) : name(std::move(bridge_name)) {}
  const std::string name;
  // 1 while the remote has accepted the bridge: each runner adds 1 when its link is up and takes it
  // back when it goes, so a changed bridge's closing old link cannot zero its new one.
  std::atomic<int64_t> connected{0};
  std::atomic<uint64_t> reconnects{0};    // connection attempts after the first
  std::atomic<uint64_t> messages_in{0};   // PUBLISHes from the remote published locally
  std::atomic<uint64_t> messages_out{0};  // PUBLISHes sent to the remote

  void Add(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace ringmq
