// Counters each shard keeps about itself, and the few broker-wide values the shards share.
//
// Thread ownership: a ShardStats is written only by its own shard (relaxed load + store, no locked
// read-modify-write on the hot path) and read by shard 0 for the $SYS topics and by the metrics
// thread (net/broker_metrics.h lists every counter once for both). BrokerShared is
// created before the shards start; its atomics are touched on connect/close and at shutdown only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/bridge/bridge_registry.h"
#include "net/bridge/bridge_stats.h"
#include "net/connection_limits.h"
#include "net/persistence/commit_latency.h"
#include "net/transport/tls_context.h"
#include "net/transport/transport_factory.h"

namespace ringmq {

class AccessPolicyStore;
class RuntimeLimitsStore;

class Counter {
 public:
  void Add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Sub(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  void Set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Why a message was not delivered to one subscriber (ShardStats::dropped).
enum class DropReason : uint8_t {
  kQos0Offline,        // QoS 0 for a session whose client is away: QoS 0 is never queued
  kQos0OutputFull,     // QoS 0 beyond the subscriber's --max_queued_bytes of pending output
  kOfflineQueue,       // QoS 1/2 for an offline session past its queue bounds
  kSlowSubscriber,     // QoS 1/2 for a subscriber stuck past --slow_subscriber_timeout (action drop)
  kQueueFull,          // QoS 1/2 past the bounds with no publisher to slow (retained on SUBSCRIBE, wills, $SYS)
  kTooLargeForClient,  // larger than the MQTT 5 client's Maximum Packet Size
  kCount,
};

// How a TLS handshake ended without completing (ShardStats::tls_handshake_failures).
enum class TlsFailure : uint8_t {
  kError,      // refused by OpenSSL: plain bytes on a TLS port, no shared version or cipher, a bad certificate
  kAbandoned,  // the client closed (or reset) the connection before the handshake finished
  kTimeout,    // --connect_timeout passed before the handshake finished (a client gone silent)
  kCount,
};

struct alignas(64) ShardStats {
  Counter clients_connected;
  std::array<Counter, 3> messages_received;  // PUBLISH packets from clients, by QoS
  std::array<Counter, 3> messages_sent;      // PUBLISH packets to clients, by QoS
  Counter bytes_received;
  Counter bytes_sent;
  std::array<Counter, static_cast<size_t>(DropReason::kCount)> dropped;
  void CountDrop(DropReason reason) { dropped[static_cast<size_t>(reason)].Add(1); }
  Counter subscriptions;
  Counter retained_messages;  // this shard's replica; all replicas converge to the same count
  Counter subscriptions_refused;  // SUBSCRIBE filters beyond --max_subscriptions_per_client
  Counter retained_refused;       // retained PUBLISHes not stored: --max_retained_messages/_bytes
  Counter retained_expired;       // retained messages purged at their MQTT 5 expiry (this replica)
  Counter cross_shard_backlog;  // envelopes waiting because a queue to another shard was full
  Counter logins_refused;       // CONNECTs refused by the password file, --allow_anonymous or client id ownership
  Counter publishes_denied;     // PUBLISHes (and wills) the ACL or the reserved-topic rule kept from routing
  Counter subscriptions_denied; // SUBSCRIBE filters refused by the ACL
  // Refused by a limit (net/connection_limits.h, --max_sessions); each counted by the refusing shard.
  Counter refused_max_connections;
  Counter refused_per_ip;
  Counter refused_connect_rate;
  Counter sessions_refused;  // offline sessions ended at once because --max_sessions were kept
  // Input limits (net/mqtt/input_limits.cc), each counted when it acts.
  Counter incomplete_packet_timeouts;  // keep-alive 0 clients closed holding an incomplete packet
  Counter keep_alive_refused;          // MQTT 3.1.1 CONNECTs refused by --max_keep_alive
  Counter awaiting_rel_exceeded;       // clients closed for too many QoS 2 messages awaiting PUBREL
  Counter publish_rate_pauses;         // times a client's input waited for --max_publish_(bytes_)rate
  Counter memory_limit_pauses;         // times a publisher's input waited for --memory_limit
  Counter memory_limit_refused;        // connections closed at accept above --memory_limit
  // Event loop and shard mesh (net/loop_clock.h, shard.cc, mqtt/input_flow.cc, mqtt/publish_routing.cc).
  Counter connections_accepted;    // sockets the listeners accepted (refused ones included)
  Counter recv_buffers_exhausted;  // receives ended by ENOBUFS (provided-buffer ring empty) and re-armed
  Counter congestion_pauses;       // times the shard stopped reading its publishers for a full queue
  Counter cross_shard_queue_full;  // times a queue to another shard was found full (envelopes backlogged)
  Counter loop_busy_ns;            // loop time outside io_uring_submit_and_wait
  Counter loop_wait_ns;            // loop time waiting in io_uring_submit_and_wait
  // Sampled every tick (250 ms) by the shard: the structures are its own, not readable elsewhere.
  Counter sessions;                 // sessions on this (home) shard, connected or not
  Counter connections;              // sockets this shard serves
  Counter input_paused_connections; // connections whose input waits (backpressure, limits)
  // QoS 1/2 backpressure (net/mqtt/queue_backpressure.cc): publishers held back by full subscriber queues,
  // and stuck subscribers closed.
  Counter publisher_holds;
  Counter slow_subscriber_disconnects;
  // Transports (net/shard_stream.cc), each counted once per connection: at accept, or when a stream
  // layer becomes established or fails during its handshake, never on the per-byte path.
  std::array<Counter, 4> accepted_by_transport;  // by ListenScheme: tcp, tls, ws, wss
  Counter accepted_proxied;                      // of those, on ?proxy_protocol=1 listeners
  Counter tls_handshakes_full;
  Counter tls_handshakes_resumed;  // SSL_session_reused: a ticket or session id was accepted
  std::array<Counter, static_cast<size_t>(TlsFailure::kCount)> tls_handshake_failures;
  void CountTlsFailure(TlsFailure reason) { tls_handshake_failures[static_cast<size_t>(reason)].Add(1); }
  Counter ws_upgrades_refused;
  Counter proxy_headers_refused;
  // Persistence (--data_dir): copied every tick from the ShardStore's writer-thread atomics
  // (net/persistence/shard_store.h) by SampleStats, so the shard loop takes no lock for them.
  Counter persistence_commits;
  Counter persistence_records;
  Counter persistence_bytes;
  Counter persistence_compactions;
  Counter persistence_log_bytes;
  Counter persistence_recovery_dropped_bytes;
  std::array<Counter, kCommitLatencyBuckets + 1> commit_latency_buckets;  // cumulative; last is +Inf
  Counter commit_latency_sum_ns;
};

class ShardStore;

struct BrokerShared {
  std::atomic<int64_t> open_connections{0};
  // Sessions kept while their client is away, on every shard: changed only when a session goes
  // offline, comes back or ends, never on the message path (--max_sessions).
  std::atomic<int64_t> offline_sessions{0};
  // Subscriptions of sessions saved in a session store (net/mqtt/session_store.h), over all shards.
  // While there are none, a QoS 1/2 PUBLISH has no delivery to wait for (--persistence sync). A
  // subscriber's shard counts its subscription before announcing its route, and a publisher's shard
  // routes to it only after taking that announcement from the mesh queue, so it sees the count.
  std::atomic<int64_t> durable_subscriptions{0};
  // Counted only while --max_connections_per_ip (RuntimeLimits) is set.
  std::unique_ptr<PerIpConnections> per_ip;
  std::vector<std::unique_ptr<ConnectRateLimiter>> connect_rates;  // per --listen address
  RuntimeLimitsStore* runtime_limits = nullptr;                  // set before the shards start (SIGHUP)
  std::atomic<bool> stopping{false};
  std::atomic<int> shards_wills_sent{0};
  AccessPolicyStore* access_policies = nullptr;  // set before the shards start
  // Per --listen URL, what makes an accepted connection's transports (empty function: plain TCP).
  std::vector<TransformFactory> transform_factories;
  int64_t start_ms = 0;
  // --data_dir: shard i's durable store (net/persistence/shard_store.h); empty: persistence off.
  // Owned by the broker, which outlives the shards.
  std::vector<ShardStore*> durable_stores;
  // The --bridge_file bridges in force (TLS client contexts, metrics), replaced on SIGHUP.
  BridgeRegistry bridges;
};

}  // namespace ringmq
