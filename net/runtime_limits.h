// The limits an operator may change while the broker runs: on SIGHUP the broker re-reads its flags
// (the --flagfile) and publishes a new RuntimeLimits snapshot; each shard picks it up at its next tick,
// as it does the access policy. Nothing on the message path takes a lock: a shard reads its own
// pointer to an immutable snapshot.
//
// Thread ownership: a RuntimeLimits is immutable once published and shared read-only by every shard.
// The RuntimeLimitsStore is written by the main thread (start-up and SIGHUP) and read by the shards.
// A ShardLimits belongs to one shard thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "net/broker_config.h"

namespace ringmq {

// Every field has the meaning of the BrokerConfig field (and flag) of the same name.
struct RuntimeLimits {
  int64_t max_connections = 0;
  uint32_t max_connections_per_ip = 0;
  uint32_t max_connect_rate = 0;
  uint32_t max_queued_messages = 0;
  uint64_t max_queued_bytes = 0;
  uint32_t max_publish_rate = 0;
  uint64_t max_publish_bytes_rate = 0;
  uint64_t memory_limit = 0;
  uint32_t max_packet_size = 0;  // for connections made after it is published (see ShardLimits)
  uint16_t max_keep_alive = 65535;
  uint32_t max_session_expiry_s = 0;
  int64_t max_sessions = 0;
  uint32_t max_subscriptions_per_client = 0;
  uint64_t max_retained_messages = 0;
  uint64_t max_retained_bytes = 0;
  uint32_t slow_subscriber_timeout_s = 0;
  BrokerConfig::SlowSubscriberAction slow_subscriber_action = BrokerConfig::SlowSubscriberAction::kDisconnect;
  uint32_t incomplete_packet_timeout_s = 0;
  uint32_t sys_interval_s = 0;
  uint64_t generation = 0;

  static RuntimeLimits From(const BrokerConfig& config, uint64_t generation);
};

// Whether a change of the flag `name` (without dashes) takes effect on SIGHUP: the limits above, plus
// --log_level, the access files (--password_file, --acl_file, --allow_anonymous) and --bridge_file,
// which the broker applies itself. Every other flag needs a restart.
bool IsReloadableFlag(std::string_view name);

class RuntimeLimitsStore {
 public:
  explicit RuntimeLimitsStore(std::shared_ptr<const RuntimeLimits> initial)
      : limits_(std::move(initial)), generation_(limits_->generation), max_packet_size_(limits_->max_packet_size) {}

  void Replace(std::shared_ptr<const RuntimeLimits> limits) {
    absl::MutexLock lock(&mutex_);
    max_packet_size_.store(limits->max_packet_size, std::memory_order_relaxed);
    generation_.store(limits->generation, std::memory_order_release);
    limits_ = std::move(limits);
  }
  // The WebSocket layer's message cap of a connection being accepted, without the lock.
  uint32_t max_packet_size() const { return max_packet_size_.load(std::memory_order_relaxed); }
  // Cheap enough for every tick: a shard takes the snapshot (under the lock) only when this changed.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const RuntimeLimits> Current() const {
    absl::MutexLock lock(&mutex_);
    return limits_;
  }

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const RuntimeLimits> limits_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint32_t> max_packet_size_{0};
};

// A shard's view of the store: the snapshot in force on this shard, changed only by Refresh.
class ShardLimits {
 public:
  // `store` null (a protocol made without a broker: unit tests, benchmarks): `config`'s limits, fixed.
  ShardLimits(const RuntimeLimitsStore* store, const BrokerConfig& config);

  const RuntimeLimits* operator->() const { return current_.get(); }
  const RuntimeLimits& operator*() const { return *current_; }

  // Takes the store's snapshot if it is newer; true when it did. `next_serial` is the serial the
  // shard's next connection gets (Connection::serial): later connections are held to the new
  // --max_packet_size, earlier ones keep the largest value in force since they may have connected.
  bool Refresh(uint32_t next_serial);

  // The largest packet the connection with `serial` may send. An MQTT 5 client was told its
  // Maximum Packet Size in CONNACK, so a lowered limit must not close it for a packet it was allowed;
  // a raised one applies to it at once (more lenient than announced, which MQTT allows).
  uint32_t MaxPacketSizeFor(uint32_t serial) const {
    const bool before_change = static_cast<int32_t>(serial - new_terms_from_serial_) < 0;
    return before_change ? older_max_packet_size_ : current_->max_packet_size;
  }

 private:
  std::unique_ptr<RuntimeLimitsStore> fixed_;  // only when no store was given
  const RuntimeLimitsStore& store_;
  std::shared_ptr<const RuntimeLimits> current_;
  uint32_t new_terms_from_serial_ = 0;  // the first connection serial held to current_ alone
  uint32_t older_max_packet_size_ = 0;  // the largest --max_packet_size in force on this shard so far
};

}  // namespace ringmq
