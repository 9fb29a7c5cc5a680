// Retained messages on a shard beyond routing: delivering them to a new subscription in bounded
// batches, the broker-wide limits on the store, and the purge of expired ones.
//
// Delivery on SUBSCRIBE is paced. A filter may match a million retained messages; walking and
// encoding them all at once stalled the shard for seconds (one SUBSCRIBE listing `#` 1,000 times over
// 50,000 messages: 3.1 s). Each SUBSCRIBE's retained messages are walked with a resumable cursor
// (RetainedStore::MatchSome), at most kVisitsPerBatch topics per delivery and kVisitsPerTurn per loop
// turn, and only while the client has room: its output below half of --max_queued_bytes (so its
// input is never paused for it), and for QoS 1/2 a free in-flight slot with nothing queued. So
// messages wait in the store, not in memory per client, and none is dropped for lack of room. A
// connection that closes abandons its walk, and so does an UNSUBSCRIBE of the filter.
#include <algorithm>

#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr size_t kVisitsPerBatch = 512;   // per delivery and turn: a few hundred microseconds at most
constexpr size_t kVisitsPerTurn = 4096;   // all deliveries of a turn together
constexpr size_t kPurgePerTick = 10000;   // expired retained messages removed per 250 ms tick

}  // namespace

void MqttProtocol::StartRetainedDelivery(Connection* conn, std::vector<RetainedRequest> requests) {
  if (requests.empty()) return;
  RetainedDelivery delivery{conn, conn->serial, std::move(requests)};
  const RetainedProgress progress = RunRetainedBatch(delivery, kVisitsPerBatch);
  if (progress == RetainedProgress::kComplete) return;
  retained_work_ready_ = retained_work_ready_ || progress == RetainedProgress::kMore;
  retained_deliveries_.push_back(std::move(delivery));
}

void MqttProtocol::ContinueRetainedDeliveries() {
  retained_work_ready_ = false;
  size_t budget = kVisitsPerTurn;
  // Each waiting delivery once per turn, in turn order: one slow client cannot hold up the others.
  size_t waiting = retained_deliveries_.size();
  for (; waiting > 0 && budget > 0; --waiting) {
    RetainedDelivery delivery = std::move(retained_deliveries_.front());
    retained_deliveries_.pop_front();
    const RetainedProgress progress = RunRetainedBatch(delivery, std::min(budget, kVisitsPerBatch));
    budget -= std::min(budget, delivery.visits_in_last_batch);
    if (progress == RetainedProgress::kComplete) continue;
    retained_work_ready_ = retained_work_ready_ || progress == RetainedProgress::kMore;
    retained_deliveries_.push_back(std::move(delivery));
  }
  // Deliveries not visited this turn (the budget is spent) go on next turn.
  if (waiting > 0) retained_work_ready_ = true;
}

MqttProtocol::RetainedProgress MqttProtocol::RunRetainedBatch(RetainedDelivery& delivery, size_t max_visits) {
  size_t& visits = delivery.visits_in_last_batch;
  visits = 0;
  Connection* conn = delivery.conn;
  // The connection may have closed meanwhile; its memory may even hold a newer connection.
  if (!StillOpen(conn, delivery.serial) ||
      conn->state != Connection::State::kConnected || conn->session == nullptr) {
    return RetainedProgress::kComplete;
  }
  Session& session = *conn->session;
  bool blocked = false;
  while (delivery.next_request < delivery.requests.size() && visits < max_visits) {
    const RetainedRequest& request = delivery.requests[delivery.next_request];
    if (session.FindSubscription(request.filter, "") == nullptr) {  // unsubscribed meanwhile: stop
      ++delivery.next_request;
      delivery.cursor = RetainedStore::MatchCursor();
      continue;
    }
    // Delivers one match if the client has room for it; false (and blocked) when it has none.
    auto offer = [&](const MessageRef& message) {
      if (message->ExpiredAt(now_ms_)) return true;
      const uint8_t qos = std::min(request.qos, message->qos());
      // Half the output bound: beyond the bound the shard stops reading the client (input_flow.cc),
      // and its own PINGREQ or UNSUBSCRIBE must not wait behind its retained messages.
      blocked = conn->pending_output() >= config_.max_queued_bytes / 2 ||
                (qos > 0 && (session.queued_count() > 0 || !session.HasInflightRoom(InflightWindow(conn))));
      if (blocked) return false;
      Delivery out;
      out.qos = qos;
      out.retain = true;
      if (request.subscription_id != 0) out.subscription_ids.push_back(request.subscription_id);
      out.message = message;
      Deliver(session, std::move(out));
      return true;
    };
    // A filter that matches nothing still costs a lookup: it counts as one visit.
    visits += std::max<size_t>(1, retained_.MatchSome(request.filter, delivery.cursor, max_visits - visits, offer));
    if (blocked) return RetainedProgress::kBlocked;
    if (!delivery.cursor.done) return RetainedProgress::kMore;  // the visits ran out
    ++delivery.next_request;
    delivery.cursor = RetainedStore::MatchCursor();
  }
  return delivery.next_request == delivery.requests.size() ? RetainedProgress::kComplete : RetainedProgress::kMore;
}

bool MqttProtocol::RetainedAdmits(const Message& message) const {
  return retained_.Admits(message, RetainedStore::Limits{config_.max_retained_messages, config_.max_retained_bytes});
}

void MqttProtocol::PurgeExpiredRetained() {
  // Every replica purges on its own: the deadline is in the shared message, so all replicas drop
  // the same messages, and an update of the topic on its way replaces or clears it either way.
  const size_t purged = retained_.PurgeExpired(now_ms_, kPurgePerTick);
  if (purged == 0) return;
  stats_.retained_expired.Add(purged);
  stats_.retained_messages.Set(retained_.size());
}

}  // namespace ringmq
