#include "core/session.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace ringmq {
namespace {

size_t DeliveryBytes(const Delivery& d) { return d.message->topic().size() + d.message->payload().size(); }

}  // namespace

size_t SessionSubscriptions::Hash::operator()(const Key& key) const {
  return absl::HashOf(absl::string_view(key.filter.data(), key.filter.size()),
                      absl::string_view(key.share_group.data(), key.share_group.size()));
}

const SessionSubscription* SessionSubscriptions::Find(Key key) const {
  auto it = set_.find(key);
  return it == set_.end() ? nullptr : &*it;
}

std::optional<SubscriptionOptions> SessionSubscriptions::Upsert(SessionSubscription sub) {
  auto it = set_.find(Key{sub.filter, sub.share_group});
  if (it != set_.end()) {
    const SubscriptionOptions old = it->options;
    // Elements of a hash set are immutable; the replacement takes the same slot's place.
    set_.erase(it);
    set_.insert(std::move(sub));
    return old;
  }
  if (!sub.share_group.empty()) ++shared_count_;
  set_.insert(std::move(sub));
  return std::nullopt;
}

bool SessionSubscriptions::Erase(Key key) {
  auto it = set_.find(key);
  if (it == set_.end()) return false;
  if (!it->share_group.empty()) --shared_count_;
  set_.erase(it);
  return true;
}

const SessionSubscriptions& Session::subscriptions() const {
  static const SessionSubscriptions kNone;
  return subscriptions_ ? *subscriptions_ : kNone;
}

std::optional<SubscriptionOptions> Session::AddSubscription(SessionSubscription sub) {
  if (subscriptions_ == nullptr) subscriptions_ = std::make_unique<SessionSubscriptions>();
  return subscriptions_->Upsert(std::move(sub));
}

bool Session::RemoveSubscription(std::string_view filter, std::string_view share_group) {
  if (subscriptions_ == nullptr || !subscriptions_->Erase({filter, share_group})) return false;
  if (subscriptions_->empty()) subscriptions_.reset();
  return true;
}

const SessionSubscription* Session::FindSubscription(std::string_view filter, std::string_view share_group) const {
  return subscriptions_ ? subscriptions_->Find({filter, share_group}) : nullptr;
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
    const size_t count = inflight_count();
    if (count == 0 || id_sequence_ - qos_->inflight[0].id_sequence < 65535) return candidate;
    bool in_use = false;
    for (size_t i = 0; i < count && !in_use; ++i) in_use = qos_->inflight[i].packet_id == candidate;
    if (!in_use) return candidate;
  }
}

const InflightMessage& Session::StartInflight(Delivery delivery) {
  InflightMessage message;
  message.packet_id = FreePacketId();
  message.id_sequence = id_sequence_;
  message.state = delivery.qos == 1 ? InflightMessage::State::kAwaitPuback : InflightMessage::State::kAwaitPubrec;
  message.delivery = std::move(delivery);
  Fifo<InflightMessage>& inflight = Qos().inflight;
  inflight.push_back(std::move(message));
  return inflight.back();
}

void Session::RestoreInflight(Delivery delivery, uint16_t packet_id, InflightMessage::State state) {
  // The steps between ids are those the counter took when it handed them out (in send order), so
  // FindInflight's step arithmetic holds for the restored window too.
  const uint32_t step = inflight_count() == 0 ? 1 : (uint32_t{packet_id} + 65535 - last_packet_id_) % 65535;
  id_sequence_ += step == 0 ? 65535 : step;
  last_packet_id_ = packet_id;
  InflightMessage message;
  message.packet_id = packet_id;
  message.id_sequence = id_sequence_;
  message.state = state;
  message.delivery = std::move(delivery);
  Qos().inflight.push_back(std::move(message));
}

std::vector<uint16_t> Session::InboundQos2Ids() const {
  if (!qos_) return {};
  return std::vector<uint16_t>(qos_->inbound_qos2.begin(), qos_->inbound_qos2.end());
}

bool Session::Complete(uint16_t packet_id, InflightMessage::State expected) {
  const std::optional<size_t> at = FindInflight(packet_id);
  if (!at.has_value() || qos_->inflight[*at].state != expected) return false;
  if (*at == 0) {
    qos_->inflight.pop_front();  // acks nearly always arrive in order
  } else {
    qos_->inflight.erase_at(*at);
  }
  return true;
}

bool Session::Received(uint16_t packet_id) {
  const std::optional<size_t> at = FindInflight(packet_id);
  if (!at.has_value()) return false;
  InflightMessage& m = qos_->inflight[*at];
  if (m.state == InflightMessage::State::kAwaitPuback) return false;
  m.state = InflightMessage::State::kAwaitPubcomp;
  m.delivery.message = MessageRef();  // the payload is no longer needed once PUBREC arrived
  return true;
}

std::optional<size_t> Session::FindInflight(uint16_t packet_id) const {
  if (inflight_count() == 0 || packet_id == 0) return std::nullopt;
  const Fifo<InflightMessage>& inflight = qos_->inflight;
  const InflightMessage& front = inflight[0];
  if (id_sequence_ - front.id_sequence >= 65535) {
    // The id counter came round within the window: ids alone no longer order the messages.
    for (size_t i = 0; i < inflight.size(); ++i) {
      if (inflight[i].packet_id == packet_id) return i;
    }
    return std::nullopt;
  }
  // Ids are handed out one step at a time (1..65535, wrapping), so the id tells how many steps after
  // the front's it was handed out; the messages are in step order, with gaps where acks came out of
  // order, so a binary search on the step finds it.
  const uint32_t step = (uint32_t{packet_id} + 65535 - front.packet_id) % 65535;
  size_t low = 0;
  size_t high = std::min<size_t>(inflight.size(), size_t{step} + 1);
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    const uint32_t mid_step = inflight[mid].id_sequence - front.id_sequence;
    if (mid_step == step) return mid;
    if (mid_step < step) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return std::nullopt;
}

bool Session::HasQueueRoom(const Delivery& delivery, const QueueLimits& limits) const {
  return queued_count() < limits.max_messages && queued_bytes_ + DeliveryBytes(delivery) <= limits.max_bytes;
}

bool Session::Enqueue(Delivery delivery, const QueueLimits& limits) {
  if (!HasQueueRoom(delivery, limits)) return false;
  const size_t bytes = DeliveryBytes(delivery);
  queued_bytes_ += static_cast<uint32_t>(bytes);
  Qos().queued.push_back(std::move(delivery));
  return true;
}

std::optional<Delivery> Session::Dequeue() {
  if (queued_count() == 0) return std::nullopt;
  Delivery d = std::move(qos_->queued.front());
  qos_->queued.pop_front();
  queued_bytes_ -= static_cast<uint32_t>(DeliveryBytes(d));
  return d;
}

size_t Session::DropExpired(int64_t now_ms) {
  if (queued_count() == 0) return 0;
  return qos_->queued.erase_if([&](const Delivery& d) {
    if (!d.message->ExpiredAt(now_ms)) return false;
    queued_bytes_ -= static_cast<uint32_t>(DeliveryBytes(d));
    return true;
  });
}

}  // namespace ringmq
