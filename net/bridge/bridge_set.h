// The bridges of one shard: those whose local client id hashes to it (net/home_shard.h), so that the
// bridge's local session is at home where its connection is and the CONNECT is never handed off.
// At each tick it compares the registry's generation with the one it applied; when a SIGHUP published
// a new snapshot it applies the difference by `connection` name: an unchanged bridge keeps its
// runner (and connection), a removed one is stopped, a new one started, a changed one stopped and
// started anew. A stopped runner lives on until its connect or link is over, as the ring and the
// link still refer to it.
//
// Thread ownership: owned by its shard (created on the shard thread once the ring exists).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "net/bridge/bridge_registry.h"
#include "net/bridge/bridge_runner.h"
#include "net/broker_config.h"
#include "net/shard_stats.h"

namespace ringmq {

class BridgeSet {
 public:
  BridgeSet(int shard_index, int shard_count, const BridgeRegistry& registry, BridgeHost host);

  void OnTick(int64_t now_ms);
  // A kConnect completion of the shard's ring: every connect the broker issues is a bridge's.
  static void OnConnectDone(void* runner, int32_t result, int64_t now_ms) {
    static_cast<BridgeRunner*>(runner)->OnConnectDone(result, now_ms);
  }

 private:
  // Makes this shard's runners match the registry's snapshot.
  void Apply(const BridgeSnapshot& snapshot);
  bool IsMine(const BridgeConfig& bridge) const;

  const int shard_index_;
  const int shard_count_;
  const BridgeRegistry& registry_;
  uint64_t applied_generation_ = 0;
  BridgeHost host_;  // the runners keep a reference to it
  std::vector<std::unique_ptr<BridgeRunner>> runners_;
  std::vector<std::unique_ptr<BridgeRunner>> stopping_;  // removed or changed, until their I/O is over
};

// On the main thread before the shards start: loads each bridge's TLS client context (a bad CA or key
// file refuses the start) and makes its metrics, in shared.bridges.
absl::Status PrepareBridges(const std::vector<BridgeConfig>& bridges, BrokerShared& shared);

}  // namespace ringmq
