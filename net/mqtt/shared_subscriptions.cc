// Shared subscriptions ($share/{group}/{filter}, MQTT 5.0 section 4.8.2; also accepted from 3.1.1
// clients): each matching group receives one copy of a message, given to one of its members
// wherever on the broker that member's session lives.
//
// The publisher's shard picks, in its route-table replica, one shard holding members of the group
// (round robin per group) and sends it the copy. That shard gives it to one local member: the least
// loaded (in flight + queued), round robin among equals, connected members only. When it has no
// connected member (an unsubscribe raced with the copy, or its members are offline), the copy moves
// on to a shard of the group not yet tried; once every shard has been tried, an offline member's
// session queues it (second pass, again at most one visit per shard). A member that leaves hands
// its QoS 1/2 group messages back through the same path (ReleaseSharedDeliveries).
#include <algorithm>
#include <limits>
#include <span>

#include "absl/container/inlined_vector.h"
#include "core/topic.h"
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr ShardMask Bit(int shard) { return ShardMask{1} << shard; }

Session& SessionOf(const Subscription& member) { return *reinterpret_cast<Session*>(member.subscriber); }

// Least loaded eligible member, scanning from `start` so that equals take turns; nullptr if none.
const Subscription* PickMember(std::span<const Subscription> members, uint32_t start, bool connected_only) {
  const Subscription* best = nullptr;
  size_t best_load = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const Subscription& member = members[(start + i) % members.size()];
    const Session& session = SessionOf(member);
    if (connected_only && session.attachment() == nullptr) continue;
    const size_t load = session.inflight_count() + session.queued_count();
    if (best == nullptr || load < best_load) {
      best = &member;
      best_load = load;
    }
  }
  return best;
}

}  // namespace

void MqttProtocol::RouteSharedPublish(const MessageRef& message, const RouteMatch& match) {
  // One pass over the groups (not one per destination shard): O(groups matched).
  absl::InlinedVector<SharedPublish, 4> per_shard(static_cast<size_t>(mesh_.shard_count()));
  ShardMask shards = match.plain_shards;
  for (const SharedRouteMatch& group : match.groups) {
    shards |= Bit(group.chosen_shard);
    per_shard[group.chosen_shard].targets.push_back(ShareTarget{std::string(group.shared_filter)});
  }
  while (shards != 0) {
    const int shard = __builtin_ctzll(shards);
    shards &= shards - 1;
    SharedPublish& shared = per_shard[shard];
    shared.fan_out_plain = (match.plain_shards & Bit(shard)) != 0;
    if (shard == index_) {
      DeliverSharedEnvelope(message, shared);
    } else if (shared.targets.empty()) {
      SendEnvelope(shard, PublishEnvelope{message});
    } else {
      SendEnvelope(shard, PublishEnvelope{message, std::make_unique<SharedPublish>(std::move(shared))});
    }
  }
}

void MqttProtocol::DeliverSharedEnvelope(const MessageRef& message, SharedPublish& shared) {
  if (shared.fan_out_plain) DeliverLocal(message);
  for (ShareTarget& target : shared.targets) DeliverToGroup(message, std::move(target));
}

void MqttProtocol::DeliverToGroup(const MessageRef& message, ShareTarget target) {
  if (message->ExpiredAt(now_ms_)) return;
  const std::optional<SharedSubscription> shared = ParseSharedSubscription(target.shared_filter);
  if (!shared.has_value()) return;  // keys are built from validated filters
  // The group's members are the subscribers of its exact filter: one lookup, not a match of the
  // topic against every filter (with 2,000 groups on `#` that cost ~10 ms per publish).
  const std::span<const Subscription> members = trie_.GroupMembers(shared->filter, shared->group);
  const Subscription* member = nullptr;
  if (!members.empty()) {
    uint32_t& cursor = share_cursors_[target.shared_filter];
    member = PickMember(members, cursor++, /*connected_only=*/!target.any_member);
    if (member == nullptr &&
        (route_table_.GroupShards(target.shared_filter) & ~(target.tried | Bit(index_))) == 0) {
      // No shard of the group has a connected member: an offline one here keeps it for its return,
      // rather than touring the shards a second time.
      member = PickMember(members, cursor, /*connected_only=*/false);
    }
  }
  if (member == nullptr) {
    PassGroupCopyOn(message, std::move(target));
    return;
  }
  const Subscription& sub = *member;
  Delivery delivery;
  delivery.message = message;
  delivery.qos = std::min(sub.options.max_qos, message->qos());
  delivery.retain = sub.options.retain_as_published && message->retain();
  if (sub.subscription_id != 0) delivery.subscription_ids.push_back(sub.subscription_id);
  if (delivery.qos > 0) delivery.share_group = std::make_shared<const std::string>(std::move(target.shared_filter));
  Deliver(SessionOf(*member), std::move(delivery));
}

void MqttProtocol::PassGroupCopyOn(const MessageRef& message, ShareTarget target) {
  target.tried |= Bit(index_);
  if (ForwardToGroup(message, std::move(target))) return;
  // Every shard of the group was tried without a connected member. QoS 0 is not kept for offline
  // sessions, so only QoS 1/2 makes a second pass, for an offline member to queue it.
  if (!target.any_member && message->qos() > 0) {
    target.any_member = true;
    target.tried = Bit(index_);
    if (ForwardToGroup(message, std::move(target))) return;
  }
  Log(LogLevel::kDebug, "shard %d: no member of %s left for a message on %s", index_, target.shared_filter,
      message->topic());
}

bool MqttProtocol::ForwardToGroup(const MessageRef& message, ShareTarget&& target) {
  // Left untouched when returning false, so the caller may try another pass.
  const int shard = route_table_.PickGroupShard(target.shared_filter, target.tried);
  if (shard < 0) return false;
  if (shard == index_) {
    DeliverToGroup(message, std::move(target));
    return true;
  }
  auto shared = std::make_unique<SharedPublish>();
  shared->targets.push_back(std::move(target));
  SendEnvelope(shard, PublishEnvelope{message, std::move(shared)});
  return true;
}

void MqttProtocol::ReleaseSharedDeliveries(Session& session, std::string_view shared_filter, bool include_inflight) {
  auto of_group = [shared_filter](const Delivery& d) {
    return d.share_group != nullptr && d.message && (shared_filter.empty() || *d.share_group == shared_filter);
  };
  std::vector<Delivery> released;
  if (include_inflight && session.inflight_count() > 0) {
    session.inflight().erase_if([&](InflightMessage& inflight) {
      if (!of_group(inflight.delivery)) return false;
      released.push_back(std::move(inflight.delivery));
      return true;
    });
  }
  // Without a shared subscription left, and not asked about one just removed, nothing of a group
  // can be queued: spare the rotation of a long queue.
  if (!shared_filter.empty() || session.HasSharedSubscription()) {
    // One rotation of the queue keeps the order of the messages that stay; they fitted before.
    const QueueLimits unbounded{std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max()};
    for (size_t i = session.queued_count(); i > 0; --i) {
      std::optional<Delivery> delivery = session.Dequeue();
      if (of_group(*delivery)) {
        released.push_back(std::move(*delivery));
      } else {
        session.Enqueue(std::move(*delivery), unbounded);
      }
    }
  }
  for (Delivery& delivery : released) {
    if (delivery.message->ExpiredAt(now_ms_)) continue;
    if (!ForwardToGroup(delivery.message, ShareTarget{*delivery.share_group})) {
      Log(LogLevel::kDebug, "shard %d: no other member of %s for a released message", index_, *delivery.share_group);
    }
  }
}

}  // namespace ringmq
