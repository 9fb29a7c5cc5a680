// Persistent sessions in the protocol component (net/mqtt/session_store.h): which sessions are durable, saving a
// session when its client comes and goes, and restoring the shard's sessions at start-up.
//
// A session is durable when it outlives its connection (expiry > 0) and the broker has a store; its
// finer changes (subscriptions, messages, packet ids) are saved where they happen, one line each,
// through StoreOf(), which is null for every other session.
#include <limits>

#include "absl/time/clock.h"
#include "net/log.h"
#include "net/monotonic_clock.h"
#include "net/persistence/durable_session_store.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr uint32_t kSessionNeverExpires = std::numeric_limits<uint32_t>::max();

int64_t WallNowMs() { return absl::ToUnixMillis(absl::Now()); }

// Deletes what the logs held of a session that is not restored (ended while the broker was down,
// or its own record was lost with a torn tail).
void DeleteRestoredRecords(ShardStore& store, std::string_view client_id, const RestoredSession& restored) {
  for (const SessionSubscription& sub : restored.subscriptions) {
    store.Delete(SubscriptionRecordKey(client_id, sub.share_group, sub.filter));
  }
  for (const StoredOutbound& outbound : restored.outbound) store.Delete(OutboundRecordKey(client_id, outbound.seq));
  for (uint16_t packet_id : restored.inbound_qos2) store.Delete(InboundRecordKey(client_id, packet_id));
  store.Delete(SessionRecordKey(client_id));
}

// Milliseconds of expiry the offline session has left now (INT64_MAX: never ends; <= 0: ended).
int64_t RemainingExpiryMs(const StoredSession& stored, int64_t offline_since_wall_ms, int64_t wall_now_ms) {
  if (stored.expiry_interval == kSessionNeverExpires) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(stored.expiry_interval) * 1000 - (wall_now_ms - offline_since_wall_ms);
}

}  // namespace

void MqttProtocol::SaveSessionState(Session& session, ProtocolVersion version, bool online) {
  if (session_store_ == nullptr) return;
  if (session.expiry_interval() == 0) {
    // It ends with its connection now (a reconnect asked for expiry 0): nothing of it must come back.
    if (session.durable()) ForgetDurableSession(session);
    return;
  }
  if (!session.durable()) {
    session.set_durable(true);
    for (const SessionSubscription& sub : session.subscriptions()) session_store_->SaveSubscription(session, sub);
    shared_.durable_subscriptions.fetch_add(static_cast<int64_t>(session.subscription_count()), std::memory_order_relaxed);
  }
  session_store_->SaveSession(session, version, online ? 0 : WallNowMs());
}

void MqttProtocol::ForgetDurableSession(Session& session) {
  shared_.durable_subscriptions.fetch_sub(static_cast<int64_t>(session.subscription_count()), std::memory_order_relaxed);
  session_store_->DeleteSession(session);
}

void MqttProtocol::DeliverLocalDurably(MessageRef message, const DurableReply& reply) {
  if (!reply.wanted() || session_store_ == nullptr) {
    DeliverLocal(std::move(message));
    if (reply.wanted()) ConfirmDurable(reply);
    return;
  }
  session_store_->TakeSaved();  // what was saved before is not this message's
  DeliverLocal(std::move(message));
  ConfirmWhenDurable(reply, session_store_->TakeSaved());
}

void MqttProtocol::DeliverSharedEnvelopeDurably(const MessageRef& message, SharedPublish& shared,
                                                const DurableReply& reply) {
  if (!reply.wanted() || session_store_ == nullptr) {
    DeliverSharedEnvelope(message, shared);
    if (reply.wanted()) ConfirmDurable(reply);
    return;
  }
  // A copy this shard cannot place goes on to another shard of the group (maybe several hops): it
  // answers to a relay here, so `reply` is confirmed only when every hop's saves are durable.
  const uint64_t relay = next_relay_++;
  relays_.emplace(relay, Relay{reply, 1});
  group_relay_ = DurableReply{index_, nullptr, 0, relay};
  session_store_->TakeSaved();
  DeliverSharedEnvelope(message, shared);
  ConfirmWhenDurable(std::exchange(group_relay_, DurableReply{}), session_store_->TakeSaved());
}

void MqttProtocol::ReleaseRelay(uint64_t relay) {
  auto it = relays_.find(relay);
  if (it == relays_.end() || --it->second.waiting > 0) return;
  const DurableReply reply = it->second.reply;
  relays_.erase(it);
  ConfirmDurable(reply);
}

void MqttProtocol::RestoreSessions(std::vector<std::pair<std::string, RestoredSession>> restored, uint64_t next_outbound_seq) {
  ShardStore* store = DurableStore();
  if (store == nullptr) return;
  UseSessionStore(std::make_unique<DurableSessionStore>(*store, next_outbound_seq));
  now_ms_ = MonotonicMs();
  const int64_t wall_now_ms = WallNowMs();
  size_t kept = 0;
  size_t ended = 0;
  const QueueLimits unbounded{std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max()};
  for (auto& [client_id, saved] : restored) {
    // Connected when the broker stopped (or crashed): offline from now on.
    const int64_t offline_since =
        saved.session.has_value() && saved.session->offline_since_wall_ms != 0 ? saved.session->offline_since_wall_ms
                                                                                : wall_now_ms;
    const int64_t remaining_ms =
        saved.session.has_value() ? RemainingExpiryMs(*saved.session, offline_since, wall_now_ms) : 0;
    if (remaining_ms <= 0) {
      DeleteRestoredRecords(*store, client_id, saved);
      ++ended;
      continue;
    }
    auto fresh = std::make_unique<Session>(client_id);
    Session& session = *fresh;
    sessions_.insert(std::move(fresh));
    session.set_expiry_interval(saved.session->expiry_interval);
    for (SessionSubscription& sub : saved.subscriptions) {
      SubscribeSession(session, sub);  // into the trie, and the route announced to every shard
      session.AddSubscription(std::move(sub));
    }
    for (StoredOutbound& outbound : saved.outbound) {
      if (outbound.queued) {
        session.Enqueue(std::move(outbound.delivery), unbounded);
      } else {
        session.RestoreInflight(std::move(outbound.delivery), outbound.packet_id, outbound.state);
      }
    }
    for (uint16_t packet_id : saved.inbound_qos2) session.BeginInboundQos2(packet_id);
    session.set_durable(true);
    shared_.durable_subscriptions.fetch_add(static_cast<int64_t>(session.subscription_count()), std::memory_order_relaxed);
    if (saved.session->will != nullptr && saved.session->offline_since_wall_ms == 0) {
      // Its client was connected when the broker went down without a graceful stop: the will goes out
      // once its delay has passed without the client coming back (from the first tick on).
      const int64_t delay_ms = static_cast<int64_t>(saved.session->will->delay_interval) * 1000;
      session.will() = std::move(saved.session->will);
      will_deadlines_ms_[&session] = now_ms_ + delay_ms;
      ScheduleSessionCheck(&session, now_ms_ + delay_ms);
    }
    shared_.offline_sessions.fetch_add(1, std::memory_order_relaxed);
    const int64_t deadline_ms =
        remaining_ms == std::numeric_limits<int64_t>::max() ? remaining_ms : now_ms_ + remaining_ms;
    offline_expiry_ms_[&session] = deadline_ms;
    if (deadline_ms != std::numeric_limits<int64_t>::max()) ScheduleSessionCheck(&session, deadline_ms);
    ++kept;
  }
  store->CommitTurn();
  // The routes announced above become visible to the other shards now, before any shard runs: each
  // takes them from its inbox before it accepts a client (Shard::Run), so a PUBLISH on any shard
  // reaches the restored subscriptions.
  PublishQueuedEnvelopes();
  if (kept + ended > 0) {
    Log(LogLevel::kInfo, "persistence: shard %d restored %zu sessions (%zu had ended while the broker was down)", index_,
        kept, ended);
  }
}

}  // namespace ringmq
