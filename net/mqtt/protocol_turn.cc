// The protocol's part of the shard loop's life: construction, each loop turn and tick, connections
// closing and being freed, and the graceful stop.
#include <algorithm>
#include <atomic>

#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

MqttProtocol::MqttProtocol(int index, const BrokerConfig& config, ShardMesh& mesh, BrokerShared& shared,
                           std::vector<ShardStats>& all_stats, ConnectionIo& io, Authorizer* authorizer)
    : index_(index),
      config_(config),
      mesh_(mesh),
      shared_(shared),
      io_(io),
      access_(shared.access_policies->Current()),
      authorizer_(authorizer != nullptr ? *authorizer : access_),
      all_stats_(all_stats),
      stats_(all_stats[index]),
      backlog_(config.shards) {}

void MqttProtocol::OnConnectionClosing(Connection* conn) {
  if (conn->session != nullptr) DetachSession(conn, conn->will_due);
}

void MqttProtocol::OnConnectionReleased(const Connection* conn) {
  if (conn->reading_paused) std::erase(paused_, conn);
  ForgetLimits(conn);
}

void MqttProtocol::OnTick() {
  session_deadlines_.PopDue(now_ms_, [this](Session* session, int64_t entry_ms) { OnSessionDue(session, entry_ms); });
  ApplyAccessPolicyIfChanged();
  SampleStats();
  CheckSlowSubscribers();
  if (!publish_limits_.empty() && !paused_.empty()) resume_check_ = true;  // rate waits end on time
  PurgeExpiredRetained();
  if (index_ != 0 || config_.sys_interval_s == 0) return;
  const int64_t interval_ms = static_cast<int64_t>(config_.sys_interval_s) * 1000;
  if (next_sys_ms_ == 0) next_sys_ms_ = now_ms_ + interval_ms;  // the first tick
  if (now_ms_ >= next_sys_ms_) {
    next_sys_ms_ = now_ms_ + interval_ms;
    PublishSysTopics();
  }
}

void MqttProtocol::FinishTurn() {
  if (!retained_deliveries_.empty()) ContinueRetainedDeliveries();
  CommitDurableTurn();
}

bool MqttProtocol::InboxReady() {
  // With a backlog the queue may have room again already (the consumer's wake can race our flag).
  if (congested_ && (BacklogCanMove() || (backlog_count_ == 0 && QueuesHalfFree()))) return true;
  for (int from = 0; from < mesh_.shard_count(); ++from) {
    if (!mesh_.Queue(from, index_).Empty()) return true;
  }
  return false;
}

void MqttProtocol::BeginShutdown() {
  stopping_ = true;
  for (Connection* conn : io_.connections()) {
    if (conn->state == Connection::State::kConnected && conn->session != nullptr && conn->will_due) {
      PublishWill(*conn->session);
    }
  }
  PublishAllDelayedWills();
  shared_.shards_wills_sent.fetch_add(1, std::memory_order_acq_rel);
}

bool MqttProtocol::ReadyToClose(int64_t stop_deadline_ms) {
  if (shared_.shards_wills_sent.load(std::memory_order_acquire) < mesh_.shard_count()) return false;
  return backlog_count_ == 0 || now_ms_ >= stop_deadline_ms;
}

}  // namespace ringmq
