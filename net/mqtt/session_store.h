// SessionStore: where the protocol component saves what a persistent session must not lose across a
// restart or a crash. The session code calls it on each durable change of a session whose state
// outlives its connection (Session::durable(): MQTT 5 Session Expiry > 0, 3.1.1 clean session 0),
// and never for the others, nor at all when persistence is off (the shard then has no store).
//
// What is saved: the session itself (client id, protocol level, expiry, will, since when it is
// offline), each subscription with its options and identifier (share-group membership included),
// each outbound QoS 1/2 message queued or in flight (with its packet id and state), and each inbound
// QoS 2 packet id awaiting PUBREL. The implementation decides how (net/persistence/
// durable_session_store.h puts them in the shard's append-only log); it only promises that what a
// call saved is durable once the shard's current batch is (ShardStore::open_ticket).
//
// Thread ownership: one store per shard, called only by that shard's thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/packet.h"
#include "core/session.h"

namespace ringmq {

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // The session's own record. `offline_since_wall_ms`: Unix ms at which its client went away, 0
  // while it is connected (a crash then counts its expiry from the restart).
  virtual void SaveSession(const Session& session, ProtocolVersion version, int64_t offline_since_wall_ms) = 0;
  virtual void SaveSubscription(const Session& session, const SessionSubscription& sub) = 0;
  virtual void DeleteSubscription(const Session& session, std::string_view filter, std::string_view share_group) = 0;
  // An outbound message waiting in the session's queue; the delivery is given its record key.
  virtual void SaveQueued(const Session& session, Delivery& delivery) = 0;
  // An outbound message in flight (sent, or being sent) with its packet id and state; it keeps the
  // record key it had while queued.
  virtual void SaveInflight(const Session& session, InflightMessage& inflight) = 0;
  // The outbound message is done (acknowledged, expired, given to another group member, dropped).
  virtual void DeleteOutbound(const Session& session, const Delivery& delivery) = 0;
  virtual void SaveInboundQos2(const Session& session, uint16_t packet_id) = 0;
  virtual void DeleteInboundQos2(const Session& session, uint16_t packet_id) = 0;
  // Every record of the session: it ended, or no longer outlives its connection.
  virtual void DeleteSession(Session& session) = 0;

  // Whether anything was saved since the last call: the shard's acknowledgement of a QoS 1/2
  // PUBLISH waits for the saves its delivery caused (--persistence sync).
  virtual bool TakeSaved() = 0;
};

// Session::Complete that also deletes the message's record (`store` null: the session is not durable).
inline bool CompleteDurably(SessionStore* store, Session& session, uint16_t packet_id, InflightMessage::State expected) {
  if (store != nullptr) {
    const InflightMessage* inflight = session.FindInflightMessage(packet_id);
    if (inflight == nullptr || inflight->state != expected) return false;
    store->DeleteOutbound(session, inflight->delivery);
  }
  return session.Complete(packet_id, expected);
}

// Session::Received (PUBREC) that also saves the message's new state: only PUBREL is sent again.
inline bool ReceivedDurably(SessionStore* store, Session& session, uint16_t packet_id) {
  if (!session.Received(packet_id)) return false;
  if (store != nullptr) store->SaveInflight(session, *session.FindInflightMessage(packet_id));
  return true;
}

}  // namespace ringmq
