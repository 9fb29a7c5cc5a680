// The durable form of a persistent session (net/mqtt/session_store.h) as records of a shard's log.
// One record per thing that changes on its own, so a change rewrites only itself:
//   "s" client_id                          the session: [version u8][protocol u8][expiry s u32]
//                                          [offline since, Unix ms i64; 0 = connected][will?]
//   "u" client_id \0 share_group \0 filter a subscription: [version][max qos][flags][id u32]
//   "o" client_id \0 seq (u48 big-endian)  an outbound QoS 1/2 message: [version][state][packet id
//                                          u16] then, unless it awaits PUBCOMP, the delivery and the
//                                          message inline (see EncodeOutboundValue)
//   "i" client_id \0 packet id (u16 BE)    an inbound QoS 2 id awaiting PUBREL: [version]
// Client ids hold no NUL (MQTT UTF-8 strings may not), so NUL ends them; big-endian numbers keep a
// session's messages in send order in any sorted view of the keys.
//
// Messages are stored inline, once per session that holds them, not once per shard with references:
// in the fleet traffic this serves a QoS 1/2 message nearly always goes to one persistent session
// (device to backend, backend to device), subscribers of one message sit on different shards (each
// with its own log) anyway, and a shared record would need a reference count kept durable too.
// Thread ownership: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/packet.h"
#include "core/session.h"
#include "net/persistence/retained_record.h"

namespace ringmq {

inline constexpr char kSessionKeyPrefix = 's';
inline constexpr char kSubscriptionKeyPrefix = 'u';
inline constexpr char kOutboundKeyPrefix = 'o';
inline constexpr char kInboundKeyPrefix = 'i';

std::string SessionRecordKey(std::string_view client_id);
std::string SubscriptionRecordKey(std::string_view client_id, std::string_view share_group, std::string_view filter);
std::string OutboundRecordKey(std::string_view client_id, uint64_t seq);
std::string InboundRecordKey(std::string_view client_id, uint16_t packet_id);

// Whether the key is one of the four kinds above.
bool IsSessionRecordKey(std::string_view key);
// The client id a session record key belongs to (empty when it is not one).
std::string_view ClientIdOfRecordKey(std::string_view key);

// The session record as read back.
struct StoredSession {
  ProtocolVersion version = ProtocolVersion::kV311;
  uint32_t expiry_interval = 0;
  int64_t offline_since_wall_ms = 0;
  std::unique_ptr<WillMessage> will;
};
std::string EncodeSessionValue(const Session& session, ProtocolVersion version, int64_t offline_since_wall_ms);
std::optional<StoredSession> DecodeSessionValue(std::string_view value);

std::string EncodeSubscriptionValue(const SessionSubscription& sub);
std::optional<SessionSubscription> DecodeSubscriptionRecord(std::string_view key, std::string_view value);

// An outbound message as read back: queued, or in flight in `state` with `packet_id`.
struct StoredOutbound {
  uint64_t seq = 0;
  bool queued = true;
  InflightMessage::State state = InflightMessage::State::kAwaitPuback;
  uint16_t packet_id = 0;
  Delivery delivery;  // no message when it awaits PUBCOMP (only PUBREL is sent again)
};
// `queued`: waiting for a packet id (`state` and `packet_id` are then ignored). The message expiry
// is stored as wall-clock time (see retained_record.h).
std::string EncodeOutboundValue(const Delivery& delivery, bool queued, InflightMessage::State state,
                                uint16_t packet_id, const ClockPair& now);
// A message whose expiry passed while the broker was down comes back already expired (deadline in
// the past), so the session drops it, and its record, where it drops any expired message.
std::optional<StoredOutbound> DecodeOutboundRecord(std::string_view key, std::string_view value, const ClockPair& now);

std::string EncodeInboundValue();
std::optional<uint16_t> DecodeInboundRecord(std::string_view key, std::string_view value);

}  // namespace ringmq

namespace ringmq {

// Every record of one client id read back from the logs at start-up.
struct RestoredSession {
  std::optional<StoredSession> session;  // nullopt: only other records survived (they are deleted)
  std::vector<SessionSubscription> subscriptions;
  std::vector<StoredOutbound> outbound;  // in send order once SortRestoredOutbound ran
  std::vector<uint16_t> inbound_qos2;
  uint64_t highest_seq = 0;
};

// Adds the record to `into` (which must be a session record key); false when malformed.
bool AddRestoredRecord(std::string_view key, std::string_view value, const ClockPair& now, RestoredSession& into);
// Merges another log's records of the same client (a crash while moving records after --shards changed).
void MergeRestoredSession(RestoredSession&& from, RestoredSession& into);
void SortRestoredOutbound(RestoredSession& session);

}  // namespace ringmq
