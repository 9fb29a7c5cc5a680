// Persistence on a shard: saving retained updates in the log of the topic's home shard, the group
// commit once per loop turn, and holding the acknowledgement of a retained QoS 1/2 PUBLISH until its
// update is durable (--persistence sync).
//
// Owner of a topic's record: its home shard (net/home_shard.h). Every update of a topic already
// passes through it in order, so its log holds the topic's updates in the order every replica applied
// them, one log alone has the latest value (a restart needs no cross-log ordering), and compaction
// is local. The cost: a publisher on another shard waits one mesh round trip more for its PUBACK.
#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/time/clock.h"
#include "net/log.h"
#include "net/persistence/retained_record.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

void MqttProtocol::RestoreRetained(const std::vector<MessageRef>& messages) {
  retained_.Reserve(messages.size());
  for (const MessageRef& message : messages) retained_.Set(message);
  stats_.retained_messages.Set(retained_.size());
}

void MqttProtocol::SaveRetainedLeftovers(const std::vector<MqttProtocol*>& protocols) {
  if (DurableStore() == nullptr) return;
  size_t saved = 0;
  auto save = [this, &saved](Envelope&& envelope) {
    auto* retain = std::get_if<RetainEnvelope>(&envelope);
    if (retain == nullptr || retain->from_home || !RetainedAdmits(*retain->message)) return;
    saved += PersistRetained(*retain->message) ? 1 : 0;
    retained_.Set(std::move(retain->message));  // later leftovers of the topic are checked against it
  };
  for (int from = 0; from < mesh_.shard_count(); ++from) {
    if (from == index_) continue;
    mesh_.Queue(from, index_).ConsumeBatch(save, std::numeric_limits<size_t>::max());
    std::deque<Envelope>& backlog = protocols[from]->backlog_[index_];
    for (Envelope& envelope : backlog) save(std::move(envelope));
    backlog.clear();
  }
  DurableStore()->CommitTurn();
  if (saved > 0) Log(LogLevel::kInfo, "persistence: shard %d saved %zu retained updates still queued at stop", index_, saved);
}

bool MqttProtocol::PersistRetained(const Message& message) {
  ShardStore* store = DurableStore();
  if (store == nullptr || !IsDurableRetainedTopic(message.topic())) return false;
  const std::string key = RetainedKey(message.topic());
  if (message.payload().empty()) {
    store->Delete(key);
    return true;
  }
  const ClockPair now{now_ms_, absl::ToUnixMillis(absl::Now())};
  store->Put(key, EncodeRetainedValue(message, now));
  return true;
}

void MqttProtocol::ConfirmWhenDurable(const DurableReply& reply, bool saved) {
  if (!reply.wanted()) return;
  if (!saved) {
    ConfirmDurable(reply);
    return;
  }
  // Saved this turn: durable with the open batch, which CommitDurableTurn closes at the end of it.
  durable_waits_.emplace_back(DurableStore()->open_ticket(), reply);
}

void MqttProtocol::ConfirmDurable(const DurableReply& reply) {
  if (reply.origin_shard == index_) {
    ReleaseAckGate(reply);
  } else {
    SendEnvelope(reply.origin_shard, DurableEnvelope{reply});
  }
}

void MqttProtocol::CommitDurableTurn() {
  ShardStore* store = DurableStore();
  if (store == nullptr) return;
  store->CommitTurn();
  if (durable_waits_.empty()) return;
  const uint64_t durable = store->durable_ticket();
  while (!durable_waits_.empty() && durable_waits_.front().first <= durable) {
    ConfirmDurable(durable_waits_.front().second);
    durable_waits_.pop_front();
  }
}

DurableReply MqttProtocol::OpenAckGate(Connection* conn) {
  AckGates& gates = ack_gates_[conn];
  if (gates.conn_serial != conn->serial) gates = AckGates{conn->serial};  // left by an earlier connection
  const uint64_t gate = gates.next_gate++;
  gates.held.push_back(HeldAcks{gate, false, {}});
  return DurableReply{index_, conn, conn->serial, gate};
}

std::string& MqttProtocol::AckOutput(Connection* conn) {
  auto it = ack_gates_.find(conn);
  if (it == ack_gates_.end() || it->second.conn_serial != conn->serial || it->second.held.empty()) return Out(conn);
  return it->second.held.back().bytes;
}

void MqttProtocol::ReleaseAckGate(const DurableReply& reply) {
  const auto* key = static_cast<const Connection*>(reply.conn);
  auto it = ack_gates_.find(key);
  if (it == ack_gates_.end()) return;
  AckGates& gates = it->second;
  // The connection may have closed meanwhile (its memory may even hold a newer connection): the
  // client resends the PUBLISH on its next connection, and the retained store has it either way.
  Connection* conn = const_cast<Connection*>(key);
  if (gates.conn_serial != reply.conn_serial || !StillOpen(conn, reply.conn_serial) ||
      conn->state != Connection::State::kConnected) {
    if (gates.conn_serial == reply.conn_serial) ack_gates_.erase(it);
    return;
  }
  for (HeldAcks& held : gates.held) {
    if (held.gate == reply.gate) held.durable = true;
  }
  bool released = false;
  while (!gates.held.empty() && gates.held.front().durable) {
    Out(conn).append(gates.held.front().bytes);
    gates.held.pop_front();
    released = true;
  }
  if (gates.held.empty()) ack_gates_.erase(it);
  if (released) MarkForFlush(conn);
}

}  // namespace ringmq
