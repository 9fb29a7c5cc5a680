// Counters each shard keeps about itself, and the few broker-wide values the shards share.
//
// Thread ownership: a ShardStats is written only by its own shard (relaxed load + store, no locked
// read-modify-write on the hot path) and read by shard 0 for the $SYS topics. BrokerShared is
// created before the shards start; its atomics are touched on connect/close and at shutdown only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/connection_limits.h"

namespace ringmq {

class AccessPolicyStore;

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
  Counter cross_shard_backlog;  // envelopes waiting because a queue to another shard was full
  Counter logins_refused;       // CONNECTs refused by the password file, --allow_anonymous or client id ownership
  Counter publishes_denied;     // PUBLISHes (and wills) the ACL or the reserved-topic rule kept from routing
  Counter subscriptions_denied; // SUBSCRIBE filters refused by the ACL
  // Refused by a limit (net/connection_limits.h, --max_sessions); each counted by the refusing shard.
  Counter refused_max_connections;
  Counter refused_per_ip;
  Counter refused_connect_rate;
  Counter sessions_refused;  // offline sessions ended at once because --max_sessions were kept
  // Input limits (net/shard_input_limits.cc), each counted when it acts.
  Counter incomplete_packet_timeouts;  // keep-alive 0 clients closed holding an incomplete packet
  Counter keep_alive_refused;          // MQTT 3.1.1 CONNECTs refused by --max_keep_alive
  Counter awaiting_rel_exceeded;       // clients closed for too many QoS 2 messages awaiting PUBREL
  Counter publish_rate_pauses;         // times a client's input waited for --max_publish_(bytes_)rate
  Counter memory_limit_pauses;         // times a publisher's input waited for --memory_limit
  Counter memory_limit_refused;        // connections closed at accept above --memory_limit
  // Messages dropped, by reason (each also counted in messages_dropped; net/shard_backpressure.cc).
  Counter dropped_qos0_output;           // QoS 0 beyond --max_queued_bytes of output, or nobody connected
  Counter dropped_offline_queue;         // QoS 1/2 for an offline session past its queue bounds
  Counter dropped_slow_subscriber;       // QoS 1/2 for a subscriber stuck past --slow_subscriber_timeout
  Counter dropped_too_large_for_client;  // larger than the MQTT 5 client's Maximum Packet Size
  Counter dropped_queue_full;            // QoS 1/2 past the bounds with no publisher to slow (retained, wills)
  // QoS 1/2 backpressure: publishers held back by full subscriber queues, and stuck subscribers closed.
  Counter publisher_holds;
  Counter slow_subscriber_disconnects;
};

struct BrokerShared {
  std::atomic<int64_t> open_connections{0};
  // Sessions kept while their client is away, on every shard: changed only when a session goes
  // offline, comes back or ends, never on the message path (--max_sessions).
  std::atomic<int64_t> offline_sessions{0};
  std::unique_ptr<PerIpConnections> per_ip;                     // null: --max_connections_per_ip off
  std::vector<std::unique_ptr<ConnectRateLimiter>> connect_rates;  // per --listen address; empty: off
  std::atomic<bool> stopping{false};
  std::atomic<int> shards_wills_sent{0};
  AccessPolicyStore* access_policies = nullptr;  // set before the shards start
  int64_t start_ms = 0;
};

}  // namespace ringmq
