// Counters each shard keeps about itself, and the few broker-wide values the shards share.
//
// Thread ownership: a ShardStats is written only by its own shard (relaxed load + store, no locked
// read-modify-write on the hot path) and read by shard 0 for the $SYS topics. BrokerShared is
// created before the shards start; its atomics are touched on connect/close and at shutdown only.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringmq {

class Counter {
 public:
  void Add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Sub(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  void Set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct alignas(64) ShardStats {
  Counter clients_connected;
  Counter messages_received;
  Counter messages_sent;
  Counter bytes_received;
  Counter bytes_sent;
  Counter messages_dropped;
  Counter subscriptions;
  Counter retained_messages;  // this shard's replica; all replicas converge to the same count
  Counter subscriptions_refused;  // SUBSCRIBE filters beyond --max_subscriptions_per_client
  Counter retained_refused;       // retained PUBLISHes not stored: --max_retained_messages/_bytes
  Counter retained_expired;       // retained messages purged at their MQTT 5 expiry (this replica)
  Counter cross_shard_backlog;  // envelopes waiting because a queue to another shard was full
};

struct BrokerShared {
  std::atomic<int64_t> open_connections{0};
  std::atomic<bool> stopping{false};
  std::atomic<int> shards_wills_sent{0};
  int64_t start_ms = 0;
};

}  // namespace ringmq
