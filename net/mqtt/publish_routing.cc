// Publishing on a shard: matching a message once against the replicated route table, handing it to
// other shards over the SPSC mesh in batches, fanning it out to local subscribers, and keeping the
// route table, retained store and $SYS topics in step across shards.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/broker_metrics.h"
#include "net/home_shard.h"
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr size_t kInboxBatch = 4096;  // per source shard and loop turn, so one busy peer cannot starve us

// Replaces `out` by the plain subscriptions matching `topic`, sorted by subscriber.
template <class Subscriptions>
void CollectPlainSubscriptions(const TopicTrie& trie, std::string_view topic, Subscriptions& out) {
  out.clear();
  trie.MatchPlain(topic, [&out](const Subscription& sub) { out.push_back(sub); });
  if (out.size() > 1) {
    std::sort(out.begin(), out.end(),
              [](const Subscription& a, const Subscription& b) { return a.subscriber < b.subscriber; });
  }
}

}  // namespace

void MqttProtocol::Publish(MessageRef message) {
  if (message->retain()) UpdateRetained(message, false);
  RoutePublish(std::move(message));
}

void MqttProtocol::RoutePublish(MessageRef message) {
  const std::string_view topic = message->topic();
  const size_t hash = route_cache_.Hash(topic);
  const uint64_t generation = route_table_.generation();
  const CachedRoute* cached = route_cache_.Find(topic, hash, generation);
  ShardMask shards = 0;
  if (cached != nullptr && !cached->has_groups) {
    shards = cached->plain_shards;
  } else {
    const RouteMatch match = route_table_.Route(topic);
    if (cached == nullptr) {
      if (CachedRoute* slot = route_cache_.Claim(topic, hash, generation)) {
        *slot = CachedRoute{match.plain_shards, !match.groups.empty()};
      }
    }
    if (!match.groups.empty()) {
      RouteSharedPublish(message, match);
      return;
    }
    shards = match.plain_shards;
  }
  while (shards != 0) {
    const int shard = __builtin_ctzll(shards);
    shards &= shards - 1;
    MessageRef ref = shards == 0 ? std::move(message) : message;
    if (shard == index_) {
      DeliverLocal(std::move(ref));
    } else {
      SendEnvelope(shard, PublishEnvelope{std::move(ref)});
    }
  }
}

std::span<const Subscription> MqttProtocol::LocalSubscriptions(std::string_view topic) {
  const size_t hash = local_match_cache_.Hash(topic);
  const uint64_t generation = trie_.generation();
  if (const auto* hit = local_match_cache_.Find(topic, hash, generation)) return *hit;
  if (auto* slot = local_match_cache_.Claim(topic, hash, generation)) {
    CollectPlainSubscriptions(trie_, topic, *slot);
    return *slot;
  }
  CollectPlainSubscriptions(trie_, topic, match_scratch_);  // too long a topic to cache
  return match_scratch_;
}

void MqttProtocol::DeliverLocal(MessageRef message) {
  if (message->ExpiredAt(now_ms_)) return;
  const uint8_t qos = message->qos();
  const bool retain = message->retain();
  const uint64_t publisher = message->publisher_id();
  // A session with several matching filters gets one copy at the highest QoS, carrying every
  // subscription identifier (MQTT 5 section 3.3.4).
  const std::span<const Subscription> subs = LocalSubscriptions(message->topic());
  for (size_t i = 0; i < subs.size();) {
    const SubscriberId subscriber = subs[i].subscriber;
    size_t end = i + 1;
    while (end < subs.size() && subs[end].subscriber == subscriber) ++end;
    Delivery delivery;
    delivery.message = end == subs.size() ? std::move(message) : message;  // the last one takes ours
    bool no_local = false;
    for (; i < end; ++i) {
      const Subscription& sub = subs[i];
      delivery.qos = std::max(delivery.qos, std::min(sub.options.max_qos, qos));
      delivery.retain = delivery.retain || (sub.options.retain_as_published && retain);
      no_local = no_local || sub.options.no_local;
      if (sub.subscription_id != 0) delivery.subscription_ids.push_back(sub.subscription_id);
    }
    if (no_local && publisher == subscriber) continue;
    Deliver(*reinterpret_cast<Session*>(subscriber), std::move(delivery));
  }
}

void MqttProtocol::UpdateRetained(MessageRef message, bool from_home, DurableReply reply) {
  // All updates of one topic pass through its home shard, so every replica applies them in the same
  // order and the replicas cannot disagree on which message is the latest. The home shard also saves
  // them (net/mqtt/durable_acks.cc).
  const int home = HomeShard(message->topic(), mesh_.shard_count());
  if (!from_home && home != index_) {
    SendEnvelope(home, RetainEnvelope{std::move(message), false, reply});
    return;
  }
  if (home == index_) {
    // The home replica alone decides whether the store may take it (--max_retained_messages and
    // _bytes) and forwards only what it stored, so every replica stays the same.
    if (!RetainedAdmits(*message)) {
      stats_.retained_refused.Add(1);
      ConfirmWhenDurable(reply, false);
      return;
    }
    for (int shard = 0; shard < mesh_.shard_count(); ++shard) {
      if (shard != index_) SendEnvelope(shard, RetainEnvelope{message, true});
    }
    ConfirmWhenDurable(reply, PersistRetained(*message));
  }
  retained_.Set(std::move(message));
  stats_.retained_messages.Set(retained_.size());
}

void MqttProtocol::BroadcastRouteDelta(std::string_view filter, std::string_view share_group, bool add) {
  RouteDelta delta = MakeRouteDelta(filter, share_group, static_cast<uint16_t>(index_), add);
  for (int shard = 0; shard < mesh_.shard_count(); ++shard) {
    if (shard != index_) SendEnvelope(shard, RouteEnvelope{std::make_unique<RouteDelta>(delta)});
  }
  route_table_.Apply(delta);
  if (!add && !share_group.empty()) share_cursors_.erase(delta.filter);  // the group left this shard
}

void MqttProtocol::PublishWill(Session& session) {
  std::unique_ptr<WillMessage>& will = session.will();
  if (will == nullptr) return;
  if (!authorizer_.MayPublish(session, will->topic)) {
    stats_.publishes_denied.Add(1);
    will.reset();
    return;
  }
  MessageParams params;
  params.topic = will->topic;
  params.payload = will->payload;
  params.qos = will->qos;
  params.retain = will->retain;
  params.passthrough_properties = will->passthrough_properties;
  params.publisher_id = IdOf(session);
  if (will->message_expiry_interval != 0) {
    params.expiry_deadline_ms = now_ms_ + static_cast<int64_t>(will->message_expiry_interval) * 1000;
  }
  Publish(Message::Create(params));
  will.reset();
}

void MqttProtocol::SendEnvelope(int to, Envelope envelope) {
  std::deque<Envelope>& backlog = backlog_[to];
  // Once anything waits in the backlog, later envelopes queue behind it to keep their order.
  if (!backlog.empty() || !mesh_.Queue(index_, to).TryPush(std::move(envelope))) {
    if (backlog.empty()) stats_.cross_shard_queue_full.Add(1);
    backlog.push_back(std::move(envelope));
    ++backlog_count_;
    stats_.cross_shard_backlog.Set(backlog_count_);
    if (!congested_) EnterCongestion();
  }
  touched_shards_ |= uint64_t{1} << to;
}

void MqttProtocol::PublishQueuedEnvelopes() {
  uint64_t touched = touched_shards_;
  touched_shards_ = 0;
  while (touched != 0) {
    const int to = __builtin_ctzll(touched);
    touched &= touched - 1;
    SpscQueue<Envelope>& queue = mesh_.Queue(index_, to);
    std::deque<Envelope>& backlog = backlog_[to];
    while (!backlog.empty() && queue.TryPush(std::move(backlog.front()))) {
      backlog.pop_front();
      --backlog_count_;
    }
    queue.Publish();
    mesh_.WakeIfSleeping(to);
    if (!backlog.empty()) {
      touched_shards_ |= uint64_t{1} << to;  // try again next turn
      mesh_.MarkWaitingForSpace(index_, to);
    }
  }
  stats_.cross_shard_backlog.Set(backlog_count_);
  if (congested_) UpdateCongestion();
}

bool MqttProtocol::BacklogCanMove() {
  for (int to = 0; to < mesh_.shard_count(); ++to) {
    if (!backlog_[to].empty() && mesh_.Queue(index_, to).FreeSlots() > 0) return true;
  }
  return false;
}

void MqttProtocol::DrainInbox() {
  bool drained_every_queue = true;
  for (int from = 0; from < mesh_.shard_count(); ++from) {
    if (from == index_) continue;
    const size_t taken = mesh_.Queue(from, index_).ConsumeBatch(
        [this](Envelope&& envelope) { HandleEnvelope(std::move(envelope)); }, kInboxBatch);
    if (taken > 0) mesh_.WakeIfWaitingForSpace(from, index_);
    drained_every_queue = drained_every_queue && taken < kInboxBatch;
  }
  if (drained_every_queue) AnswerRouteBarriers();
  if (!congested_ && !paused_.empty()) resume_check_ = true;
}

void MqttProtocol::AnswerRouteBarriers() {
  // A barrier is answered only after a drain that emptied every queue into this shard, so whatever
  // any shard sent here before the barrier was sent has been handled - and what that caused (a
  // retained update forwarded to its home shard before the publisher's PUBACK, re-sent from here to
  // every replica) is queued to the asking shard ahead of the answer. A subscriber whose SUBSCRIBE
  // came after that PUBACK therefore finds the retained message in its shard's replica.
  for (const BarrierEnvelope& barrier : barrier_answers_) {
    SendEnvelope(barrier.origin, BarrierEnvelope{index_, barrier.id, true});
  }
  barrier_answers_.clear();
}

void MqttProtocol::HandleEnvelope(Envelope&& envelope) {
  if (auto* publish = std::get_if<PublishEnvelope>(&envelope)) {
    if (publish->shared != nullptr) {
      DeliverSharedEnvelope(publish->message, *publish->shared);
    } else {
      DeliverLocal(std::move(publish->message));
    }
  } else if (auto* retain = std::get_if<RetainEnvelope>(&envelope)) {
    UpdateRetained(std::move(retain->message), retain->from_home, retain->reply);
  } else if (auto* durable = std::get_if<DurableEnvelope>(&envelope)) {
    ReleaseAckGate(durable->reply);
  } else if (auto* route = std::get_if<RouteEnvelope>(&envelope)) {
    route_table_.Apply(*route->delta);
  } else if (auto* barrier = std::get_if<BarrierEnvelope>(&envelope)) {
    if (barrier->answer) {
      CompleteRouteBarrier(barrier->id);
    } else {
      barrier_answers_.push_back(*barrier);
    }
  } else if (auto* hold = std::get_if<HoldEnvelope>(&envelope)) {
    ApplyPublisherHold(hold->publisher_id, hold->hold);
  } else if (auto* handoff = std::get_if<std::unique_ptr<HandoffEnvelope>>(&envelope)) {
    io_.AdoptHandedOff(std::move(*handoff));
  }
}

void MqttProtocol::PublishSysTopics() {
  auto publish = [this](std::string_view topic, std::string_view value) {
    MessageParams params;
    params.topic = topic;
    params.payload = value;
    params.retain = true;
    Publish(Message::Create(params));
  };
  publish("$SYS/broker/version", "ringmq " RINGMQ_VERSION);
  publish("$SYS/broker/uptime", absl::StrCat((now_ms_ - shared_.start_ms) / 1000));
  // The counters the metrics endpoint exports too, from the same list (net/broker_metrics.h).
  for (const auto& [topic, value] : SysTopicValues(all_stats_, index_)) publish(topic, absl::StrCat(value));
  publish("$SYS/broker/sessions/offline", absl::StrCat(shared_.offline_sessions.load(std::memory_order_relaxed)));
}

}  // namespace ringmq
