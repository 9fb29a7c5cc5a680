// The bridges in force, as an immutable versioned snapshot: the main thread publishes one at start-up
// and on each SIGHUP that changed the bridge file; each shard compares the generation at its tick and,
// when it moved, applies the difference to its own bridges (net/bridge/bridge_set.h). Nothing on the
// message path takes the lock, as with the run-time limits (net/runtime_limits.h).
//
// Also the home of every bridge's metrics, by `connection` name: a bridge that is changed keeps its
// series, a removed one keeps its last figures (connected 0), a new one gets its own.
//
// Thread ownership: written by the main thread (start-up, SIGHUP); Current/generation read by the
// shards, Stats by the metrics thread. A BridgeSnapshot is immutable once published.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "net/bridge/bridge_config.h"
#include "net/bridge/bridge_stats.h"
#include "net/transport/tls_context.h"

namespace ringmq {

struct BridgeEntry {
  BridgeConfig config;
  std::shared_ptr<const TlsContext> tls;  // null: plain TCP
  BridgeStats* stats = nullptr;           // owned by the registry, never freed before it
  // A bridge a SIGHUP changed: the topics it had before (its local session still holds their
  // subscriptions and queued messages; see BridgeLink). Empty otherwise.
  std::vector<BridgeTopic> previous_topics;
};

struct BridgeSnapshot {
  uint64_t generation = 0;
  std::vector<BridgeEntry> bridges;  // in file order
};

class BridgeRegistry {
 public:
  BridgeRegistry();

  // Publishes `bridges` as the new snapshot. Each new or changed bridge's TLS client context is
  // loaded first; one that does not load refuses the whole set (the snapshot in force stays) with
  // an error naming the bridge. An unchanged bridge keeps its context. `log_changes`: one info line
  // per bridge added, removed or changed (SIGHUP; start-up is quiet). Nothing changed: no new
  // generation, so the shards do nothing.
  absl::Status Publish(const std::vector<BridgeConfig>& bridges, bool log_changes);

  // Cheap enough for every tick: a shard takes the snapshot (under the lock) only when this moved.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const BridgeSnapshot> Current() const;
  // Every bridge that ever ran, in order of first appearance (for the metrics).
  std::vector<const BridgeStats*> Stats() const;

 private:
  BridgeStats* StatsFor(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  std::shared_ptr<const BridgeSnapshot> current_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<BridgeStats>> stats_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, BridgeStats*> stats_by_name_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ringmq
