#include "core/session.h"

#include <algorithm>

namespace ringmq {
namespace {

size_t DeliveryBytes(const Delivery& d) { return d.message->topic().size() + d.message->payload().size(); }

}  // namespace

const std::vector<SessionSubscription>& Session::subscriptions() const {
  static const std::vector<SessionSubscription> kNone;
  return subscriptions_ ? *subscriptions_ : kNone;
}

std::optional<SubscriptionOptions> Session::AddSubscription(SessionSubscription sub) {
  if (subscriptions_ == nullptr) subscriptions_ = std::make_unique<std::vector<SessionSubscription>>();
  for (SessionSubscription& existing : *subscriptions_) {
    if (existing.filter == sub.filter && existing.share_group == sub.share_group) {
      SubscriptionOptions old = existing.options;
      existing = std::move(sub);
      return old;
    }
  }
  subscriptions_->push_back(std::move(sub));
  return std::nullopt;
}

bool Session::RemoveSubscription(std::string_view filter, std::string_view share_group) {
  if (subscriptions_ == nullptr) return false;
  auto it = std::find_if(subscriptions_->begin(), subscriptions_->end(), [&](const SessionSubscription& s) {
    return s.filter == filter && s.share_group == share_group;
  });
  if (it == subscriptions_->end()) return false;
  subscriptions_->erase(it);
  return true;
}

uint16_t Session::FreePacketId() {
  // The window is far smaller than 65535, so the next id is almost always free at once.
  for (;;) {
    if (++last_packet_id_ == 0) last_packet_id_ = 1;
    ++id_sequence_;
    const uint16_t candidate = last_packet_id_;
    // In-flight messages are kept in the order their ids were handed out. While fewer than 65535
    // steps separate the oldest one from this candidate, the counter has not come round to any
    // of their ids: no need to scan the window.
    if (inflight_.size() == 0 || id_sequence_ - inflight_[0].id_sequence < 65535) return candidate;
    bool in_use = false;
    for (size_t i = 0; i < inflight_.size() && !in_use; ++i) in_use = inflight_[i].packet_id == candidate;
    if (!in_use) return candidate;
  }
}

const InflightMessage& Session::StartInflight(Delivery delivery) {
  InflightMessage message;
  message.packet_id = FreePacketId();
  message.id_sequence = id_sequence_;
  message.state = delivery.qos == 1 ? InflightMessage::State::kAwaitPuback : InflightMessage::State::kAwaitPubrec;
  message.delivery = std::move(delivery);
  inflight_.push_back(std::move(message));
  return inflight_.back();
}

bool Session::Complete(uint16_t packet_id, InflightMessage::State expected) {
  // Acks nearly always arrive in order, so the match is at the front.
  for (size_t i = 0; i < inflight_.size(); ++i) {
    if (inflight_[i].packet_id != packet_id) continue;
    if (inflight_[i].state != expected) return false;
    if (i == 0) {
      inflight_.pop_front();
    } else {
      inflight_.erase_at(i);
    }
    return true;
  }
  return false;
}

bool Session::Received(uint16_t packet_id) {
  for (size_t i = 0; i < inflight_.size(); ++i) {
    InflightMessage& m = inflight_[i];
    if (m.packet_id != packet_id) continue;
    if (m.state == InflightMessage::State::kAwaitPuback) return false;
    m.state = InflightMessage::State::kAwaitPubcomp;
    m.delivery.message = MessageRef();  // the payload is no longer needed once PUBREC arrived
    return true;
  }
  return false;
}

bool Session::Enqueue(Delivery delivery, const QueueLimits& limits) {
  const size_t bytes = DeliveryBytes(delivery);
  if (queued_.size() >= limits.max_messages || queued_bytes_ + bytes > limits.max_bytes) return false;
  queued_bytes_ += static_cast<uint32_t>(bytes);
  queued_.push_back(std::move(delivery));
  return true;
}

std::optional<Delivery> Session::Dequeue() {
  if (queued_.empty()) return std::nullopt;
  Delivery d = std::move(queued_.front());
  queued_.pop_front();
  queued_bytes_ -= static_cast<uint32_t>(DeliveryBytes(d));
  return d;
}

size_t Session::DropExpired(int64_t now_ms) {
  return queued_.erase_if([&](const Delivery& d) {
    if (!d.message->ExpiredAt(now_ms)) return false;
    queued_bytes_ -= static_cast<uint32_t>(DeliveryBytes(d));
    return true;
  });
}

}  // namespace ringmq
