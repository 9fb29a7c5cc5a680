#include "core/session.h"

#include <algorithm>

namespace ringmq {
namespace {

size_t DeliveryBytes(const Delivery& d) { return d.message->topic().size() + d.message->payload().size(); }

}  // namespace

std::optional<SubscriptionOptions> Session::AddSubscription(SessionSubscription sub) {
  for (SessionSubscription& existing : subscriptions_) {
    if (existing.filter == sub.filter && existing.share_group == sub.share_group) {
      SubscriptionOptions old = existing.options;
      existing = std::move(sub);
      return old;
    }
  }
  subscriptions_.push_back(std::move(sub));
  return std::nullopt;
}

bool Session::RemoveSubscription(std::string_view filter, std::string_view share_group) {
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const SessionSubscription& s) {
    return s.filter == filter && s.share_group == share_group;
  });
  if (it == subscriptions_.end()) return false;
  subscriptions_.erase(it);
  return true;
}

uint16_t Session::FreePacketId() {
  // The window is far smaller than 65535, so the next id is almost always free at once.
  for (;;) {
    if (++last_packet_id_ == 0) last_packet_id_ = 1;
    const uint16_t candidate = last_packet_id_;
    bool in_use = std::any_of(inflight_.begin(), inflight_.end(),
                              [candidate](const InflightMessage& m) { return m.packet_id == candidate; });
    if (!in_use) return candidate;
  }
}

const InflightMessage& Session::StartInflight(Delivery delivery) {
  InflightMessage message;
  message.packet_id = FreePacketId();
  message.state = delivery.qos == 1 ? InflightMessage::State::kAwaitPuback : InflightMessage::State::kAwaitPubrec;
  message.delivery = std::move(delivery);
  inflight_.push_back(std::move(message));
  return inflight_.back();
}

bool Session::Complete(uint16_t packet_id, InflightMessage::State expected) {
  // Acks nearly always arrive in order, so the match is at the front.
  for (auto it = inflight_.begin(); it != inflight_.end(); ++it) {
    if (it->packet_id != packet_id) continue;
    if (it->state != expected) return false;
    inflight_.erase(it);
    return true;
  }
  return false;
}

bool Session::Received(uint16_t packet_id) {
  for (InflightMessage& m : inflight_) {
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
  queued_bytes_ += bytes;
  queued_.push_back(std::move(delivery));
  return true;
}

std::optional<Delivery> Session::Dequeue() {
  if (queued_.empty()) return std::nullopt;
  Delivery d = std::move(queued_.front());
  queued_.pop_front();
  queued_bytes_ -= DeliveryBytes(d);
  return d;
}

size_t Session::DropExpired(int64_t now_ms) {
  const size_t before = queued_.size();
  std::erase_if(queued_, [&](const Delivery& d) {
    if (!d.message->ExpiredAt(now_ms)) return false;
    queued_bytes_ -= DeliveryBytes(d);
    return true;
  });
  return before - queued_.size();
}

}  // namespace ringmq
