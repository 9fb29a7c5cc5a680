// The bridges of one shard: those whose local client id hashes to it (net/home_shard.h), so that the
// bridge's local session is at home where its connection is and the CONNECT is never handed off.
//
// Thread ownership: owned by its shard (created on the shard thread once the ring exists).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "net/bridge/bridge_runner.h"
#include "net/broker_config.h"
#include "net/shard_stats.h"

namespace ringmq {

class BridgeSet {
 public:
  BridgeSet(int shard_index, int shard_count, const std::vector<BridgeConfig>& bridges, BrokerShared& shared,
            BridgeHost host);

  void OnTick(int64_t now_ms) {
    for (auto& runner : runners_) runner->OnTick(now_ms);
  }
  // A kConnect completion of the shard's ring: every connect the broker issues is a bridge's.
  static void OnConnectDone(void* runner, int32_t result, int64_t now_ms) {
    static_cast<BridgeRunner*>(runner)->OnConnectDone(result, now_ms);
  }

 private:
  BridgeHost host_;  // the runners keep a reference to it
  std::vector<std::unique_ptr<BridgeRunner>> runners_;
};

// On the main thread before the shards start: loads each bridge's TLS client context (a bad CA or key
// file refuses the start) and makes its metrics. Fills shared.bridge_tls and shared.bridge_stats.
absl::Status PrepareBridges(const std::vector<BridgeConfig>& bridges, BrokerShared& shared);

}  // namespace ringmq
