// QoS 1/2 backpressure: a connected subscriber's full queue slows its publishers down instead of
// losing messages they were already told (PUBACK/PUBREC) the broker has.
//
// The queue bounds (--max_queued_messages, --max_queued_bytes) are a high-water mark. A QoS 1/2
// message arriving for a connected session whose queue is at it is queued anyway, and its publisher
// - named by the message: publisher_shard and publisher_id - is held back: the subscriber's shard
// sends a HoldEnvelope to the publisher's shard (or applies the hold itself when they are the same),
// which stops reading that client at its next packet, exactly as the shard congestion mechanism
// does (input_flow.cc), so TCP flow control slows it down. Each (subscriber session, publisher)
// pair holds once; when the subscriber's queue is down to a quarter of both bounds (the low-water
// mark), or its connection goes, every publisher it held is released. Holds and releases travel over the
// same FIFO shard-to-shard queue, so they arrive in order and a publisher's count of holds is exact.
//
// Ownership: the subscriber side (full_queues_) belongs to the subscriber session's home shard, the
// publisher side (publisher_holds_) to the publisher's. Nothing is shared between threads but the
// envelopes; the per-message path gains no lock and no atomic: a delivery under the bounds does
// exactly what it did before, and an acknowledgement costs one test of an empty map unless some
// queue on the shard is full.
//
// Messages already on their way when the hold is sent are still queued past the mark: at most what
// the publisher's shard routed before it saw the hold (see README, "Backpressure"). Drops remain only
// where nothing can be slowed: an offline session (offline_queue), a message with no live publisher
// (retained messages sent on SUBSCRIBE, wills, $SYS: queue_full), and a subscriber that acknowledged
// nothing for --slow_subscriber_timeout with --slow_subscriber_action=drop (slow_subscriber).
#include <cstdint>

#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

// The low-water mark, as a fraction of the bounds. Each hold and release costs every held publisher a
// cancelled and re-armed receive, so the gap between the marks sets how often that is paid; the
// subscriber does not starve below it, since its in-flight window (--max_inflight) is still full.
constexpr size_t kLowWaterDivisor = 4;

bool BelowLowWater(const Session& session, const BrokerConfig& config) {
  return session.queued_count() <= config.max_queued_messages / kLowWaterDivisor &&
         session.queued_bytes() <= config.max_queued_bytes / kLowWaterDivisor;
}

// The bounds are the high-water mark; past it only messages whose publisher is being held are queued.
constexpr QueueLimits kPastHighWater{SIZE_MAX, SIZE_MAX};

}  // namespace

void MqttProtocol::DeliverPastHighWater(Session& session, Delivery delivery, bool live) {
  const Message& message = *delivery.message;
  const bool has_publisher = live && message.publisher_shard() >= 0 && message.publisher_id() != IdOf(session);
  if (!has_publisher) {
    // Nobody to slow down (or the subscriber itself: holding it would stop its own acknowledgements).
    stats_.CountDrop(DropReason::kQueueFull);
    return;
  }
  auto [it, filled_now] = full_queues_.try_emplace(&session);
  FullQueue& full = it->second;
  if (filled_now) full.last_progress_ms = now_ms_;
  if (full.shedding) {
    stats_.CountDrop(DropReason::kSlowSubscriber);
    return;
  }
  const std::pair<int16_t, uint64_t> publisher{message.publisher_shard(), message.publisher_id()};
  if (full.publishers.insert(publisher).second) {
    if (publisher.first == index_) {
      ApplyPublisherHold(publisher.second, true);
    } else {
      SendEnvelope(publisher.first, HoldEnvelope{publisher.second, true});
    }
  }
  session.Enqueue(std::move(delivery), kPastHighWater);
}

void MqttProtocol::OnQueueProgress(Session& session) {
  auto it = full_queues_.find(&session);
  if (it == full_queues_.end()) return;
  it->second.last_progress_ms = now_ms_;
  it->second.shedding = false;  // it reads again: back to holding its publishers
  if (BelowLowWater(session, config_)) ReleasePublishers(session);
}

void MqttProtocol::ReleasePublishers(Session& session) {
  auto node = full_queues_.extract(&session);
  if (node.empty()) return;
  for (const auto& [shard, publisher_id] : node.mapped().publishers) {
    if (shard == index_) {
      ApplyPublisherHold(publisher_id, false);
    } else {
      SendEnvelope(shard, HoldEnvelope{publisher_id, false});
    }
  }
}

void MqttProtocol::ApplyPublisherHold(uint64_t publisher_id, bool hold) {
  if (hold) {
    if (publisher_holds_[publisher_id]++ == 0) stats_.publisher_holds.Add(1);
    return;
  }
  auto it = publisher_holds_.find(publisher_id);
  if (it == publisher_holds_.end()) return;
  if (--it->second == 0) {
    publisher_holds_.erase(it);
    resume_check_ = true;  // its input may be paused: ResumePaused looks again
  }
}

bool MqttProtocol::HeldByFullQueues(const Connection* conn) const {
  return !publisher_holds_.empty() && conn->session != nullptr && publisher_holds_.contains(IdOf(*conn->session));
}

void MqttProtocol::CheckSlowSubscribers() {
  if (config_.slow_subscriber_timeout_s == 0 || full_queues_.empty()) return;
  const int64_t timeout_ms = static_cast<int64_t>(config_.slow_subscriber_timeout_s) * 1000;
  std::vector<Session*> stuck;
  for (const auto& [session, full] : full_queues_) {
    if (!full.shedding && now_ms_ - full.last_progress_ms >= timeout_ms) stuck.push_back(session);
  }
  for (Session* session : stuck) {
    auto* conn = static_cast<Connection*>(session->attachment());
    Log(LogLevel::kInfo, "shard %d: subscriber %s acknowledged nothing for %u s with a full queue (%zu messages): %s",
        index_, LogText(session->client_id()), config_.slow_subscriber_timeout_s, session->queued_count(),
        config_.slow_subscriber_action == BrokerConfig::SlowSubscriberAction::kDrop ? "dropping" : "disconnecting");
    if (config_.slow_subscriber_action == BrokerConfig::SlowSubscriberAction::kDisconnect && conn != nullptr) {
      stats_.slow_subscriber_disconnects.Add(1);
      SendDisconnect(conn, ReasonCode::kQuotaExceeded, "slow subscriber");
      Close(conn, "slow subscriber");  // detaching releases its publishers
      continue;
    }
    ReleasePublishers(*session);
    full_queues_[session].shedding = true;
  }
}

}  // namespace ringmq
