// SUBSCRIBE and UNSUBSCRIBE on a shard: the session's subscriptions mirrored into the shard's topic
// trie, route deltas to the other shards, the route barrier that holds the SUBACK until every shard
// routes the new filter, and retained messages for new subscriptions.
#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_map.h"

#include "core/encoder.h"
#include "core/topic.h"
#include "net/server_capabilities.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

// For each filter of a SUBSCRIBE, the index of its last occurrence: a filter listed twice counts
// once, with the options of its last occurrence (MQTT 5.0 section 3.8.4: a repeated filter replaces
// the subscription), so `#` listed 1,000 times is one subscription and one walk of the retained store.
std::vector<size_t> LastOccurrences(const std::vector<TopicSubscription>& subscriptions) {
  std::vector<size_t> last(subscriptions.size());
  absl::flat_hash_map<absl::string_view, size_t> seen;
  for (size_t i = subscriptions.size(); i-- > 0;) {
    const std::string_view filter = subscriptions[i].filter;
    last[i] = seen.try_emplace(absl::string_view(filter.data(), filter.size()), i).first->second;
  }
  return last;
}

}  // namespace

bool MqttProtocol::OnSubscribe(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<SubscribePacket> decoded = DecodeSubscribe(frame, body, conn->version);
  if (Rejected(conn, decoded.error)) return false;
  const SubscribePacket& subscribe = decoded.packet;
  if (!config_.subscription_identifiers && !subscribe.properties.subscription_identifiers.empty()) {
    ProtocolError(conn, ReasonCode::kSubscriptionIdentifiersNotSupported, "subscription identifiers are off");
    return false;
  }
  SubackPacket suback;
  suback.type = PacketType::kSuback;
  suback.packet_id = subscribe.packet_id;
  std::vector<RetainedRequest> retained_requests;
  bool routes_changed = false;
  const std::vector<uint32_t>& subscription_ids = subscribe.properties.subscription_identifiers;
  const uint32_t subscription_id = subscription_ids.empty() ? 0 : subscription_ids.front();
  const std::vector<size_t> last = LastOccurrences(subscribe.subscriptions);
  // Every filter gets a reason code; an earlier copy of a repeated filter gets its last copy's.
  suback.reasons.resize(subscribe.subscriptions.size(), ReasonCode::kUnspecifiedError);
  for (size_t i = 0; i < subscribe.subscriptions.size(); ++i) {
    if (last[i] != i) continue;
    FilterSubscribed result = Subscribe(conn, subscribe.subscriptions[i], subscription_id);
    suback.reasons[i] = result.reason;
    routes_changed = routes_changed || result.routes_changed;
    if (result.retained.has_value()) retained_requests.push_back(std::move(*result.retained));
  }
  for (size_t i = 0; i < subscribe.subscriptions.size(); ++i) suback.reasons[i] = suback.reasons[last[i]];
  // Retained messages are looked up only after a barrier too: a retained message whose PUBACK the
  // publisher already has may still be on its way to this shard's replica through its home shard
  // (see AnswerRouteBarriers).
  if ((routes_changed || !retained_requests.empty()) && mesh_.shard_count() > 1) {
    std::string packet;
    EncodeSuback(suback, conn->version, packet);
    SendSubackAfterRouteBarrier(conn, std::move(packet), std::move(retained_requests));
    return true;
  }
  EncodeSuback(suback, conn->version, Out(conn));
  MarkForFlush(conn);
  StartRetainedDelivery(conn, std::move(retained_requests));
  return true;
}

MqttProtocol::FilterSubscribed MqttProtocol::Subscribe(Connection* conn, const TopicSubscription& requested,
                                         uint32_t subscription_id) {
  Session& session = *conn->session;
  const bool v5 = IsV5(conn->version);
  if (!config_.wildcard_subscriptions && requested.filter.find_first_of("+#") != std::string_view::npos) {
    return {v5 ? ReasonCode::kWildcardSubscriptionsNotSupported : ReasonCode::kUnspecifiedError};
  }
  const SharedFilterParse shared = ClassifySharedFilter(requested.filter);
  if (shared.status == SharedFilterStatus::kInvalid ||
      (shared.status == SharedFilterStatus::kValid && !SharedSubscriptionsAvailable())) {
    return {!v5                                            ? ReasonCode::kUnspecifiedError
            : shared.status == SharedFilterStatus::kInvalid ? ReasonCode::kTopicFilterInvalid
                                                            : ReasonCode::kSharedSubscriptionsNotSupported};
  }
  const bool is_shared = shared.status == SharedFilterStatus::kValid;
  const std::string_view filter = is_shared ? shared.subscription.filter : requested.filter;
  if (TooManyLevels(filter)) return {v5 ? ReasonCode::kTopicFilterInvalid : ReasonCode::kUnspecifiedError};
  if (authorizer_.ClassifySubscription(session, filter) == SubscribeVerdict::kDenied) {
    stats_.subscriptions_denied.Add(1);
    return {v5 ? ReasonCode::kNotAuthorized : ReasonCode::kUnspecifiedError};
  }
  const bool existed = session.FindSubscription(filter, shared.subscription.group) != nullptr;
  if (!existed && config_.max_subscriptions_per_client != 0 &&
      session.subscription_count() >= config_.max_subscriptions_per_client) {
    stats_.subscriptions_refused.Add(1);
    return {v5 ? ReasonCode::kQuotaExceeded : ReasonCode::kUnspecifiedError};
  }
  SessionSubscription sub;
  sub.filter.assign(filter);
  sub.share_group.assign(shared.subscription.group);  // empty when not shared
  sub.options = requested.options;
  sub.options.max_qos = std::min<uint8_t>(requested.options.max_qos, config_.max_qos);
  sub.subscription_id = subscription_id;
  FilterSubscribed result{static_cast<ReasonCode>(sub.options.max_qos), SubscribeSession(session, sub)};
  const uint8_t handling = sub.options.retain_handling;
  // Retained messages are not sent on a shared subscription (MQTT 5.0 section 4.8.2).
  if (!is_shared && (handling == 0 || (handling == 1 && !existed))) {
    result.retained = RetainedRequest{sub.filter, sub.options.max_qos, subscription_id};
  }
  session.AddSubscription(std::move(sub));
  return result;
}

void MqttProtocol::SendSubackAfterRouteBarrier(Connection* conn, std::string suback, std::vector<RetainedRequest> retained) {
  const uint64_t id = ++next_barrier_id_;
  pending_subacks_.emplace(id, PendingSuback{conn, conn->serial, std::move(suback), std::move(retained),
                                             mesh_.shard_count() - 1});
  for (int shard = 0; shard < mesh_.shard_count(); ++shard) {
    if (shard != index_) SendEnvelope(shard, BarrierEnvelope{index_, id, false});
  }
  // The client's next packets wait too, so everything it sends after SUBSCRIBE is answered after SUBACK.
  conn->awaiting_suback = true;
}

void MqttProtocol::CompleteRouteBarrier(uint64_t id) {
  auto it = pending_subacks_.find(id);
  if (it == pending_subacks_.end() || --it->second.answers_missing > 0) return;
  PendingSuback pending = std::move(it->second);
  pending_subacks_.erase(it);
  Connection* conn = pending.conn;
  // The connection may have closed meanwhile; its memory may even hold a newer connection.
  if (!StillOpen(conn, pending.serial) ||
      conn->state != Connection::State::kConnected) {
    return;
  }
  conn->awaiting_suback = false;
  resume_check_ = true;
  Out(conn).append(pending.packet);
  MarkForFlush(conn);
  StartRetainedDelivery(conn, std::move(pending.retained));
}

bool MqttProtocol::TooManyLevels(std::string_view topic) const {
  // Checked on every PUBLISH: a topic shorter than the limit cannot have that many separators.
  if (topic.size() < config_.max_topic_levels) return false;
  return static_cast<size_t>(std::count(topic.begin(), topic.end(), '/')) >= config_.max_topic_levels;
}

bool MqttProtocol::SubscribeSession(Session& session, const SessionSubscription& sub) {
  const TopicTrie::AddResult result =
      trie_.Add(sub.filter, sub.share_group, Subscription{IdOf(session), sub.options, sub.subscription_id});
  if (!result.replaced_existing) stats_.subscriptions.Add(1);
  if (!result.filter_added_to_trie) return false;
  BroadcastRouteDelta(sub.filter, sub.share_group, true);
  return true;
}

bool MqttProtocol::UnsubscribeSession(Session& session, std::string_view filter, std::string_view group) {
  if (!session.RemoveSubscription(filter, group)) return false;
  stats_.subscriptions.Sub(1);
  if (trie_.Remove(filter, group, IdOf(session)).filter_removed_from_trie) {
    BroadcastRouteDelta(filter, group, false);
  }
  // In-flight messages stay: the client must still complete them (MQTT 5.0 section 3.10.4).
  if (!group.empty()) ReleaseSharedDeliveries(session, SharedFilterKey(group, filter), /*include_inflight=*/false);
  return true;
}

bool MqttProtocol::OnUnsubscribe(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<UnsubscribePacket> decoded = DecodeUnsubscribe(frame, body, conn->version);
  if (Rejected(conn, decoded.error)) return false;
  SubackPacket unsuback;
  unsuback.type = PacketType::kUnsuback;
  unsuback.packet_id = decoded.packet.packet_id;
  for (std::string_view filter : decoded.packet.filters) {
    const SharedSubscription shared = ParseSharedSubscription(filter).value_or(SharedSubscription{{}, filter});
    const bool removed = UnsubscribeSession(*conn->session, shared.filter, shared.group);
    unsuback.reasons.push_back(removed ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
  }
  EncodeSuback(unsuback, conn->version, Out(conn));
  MarkForFlush(conn);
  return true;
}

}  // namespace ringmq
