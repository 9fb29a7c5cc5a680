// The state of one MQTT session, independent of any connection: subscriptions, outbound QoS 1/2
// messages in flight and queued, inbound QoS 2 packet ids awaiting PUBREL, the will. Pure state and
// bookkeeping: no I/O, no routing; the shard that owns the session drives it.
//
// Thread ownership: owned by the client id's home shard; only that shard's thread touches it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/fifo.h"
#include "core/message.h"
#include "core/packet.h"

namespace ringmq {

struct SessionSubscription {
  std::string filter;       // the inner filter (without $share/group/)
  std::string share_group;  // empty when not shared
  SubscriptionOptions options;
  uint32_t subscription_id = 0;
};

// A session's subscriptions, hashed by (filter, share group): adding, replacing and removing one
// is O(1) however many the session holds (a linear scan made 40,000 filters a 1.4 s SUBACK).
class SessionSubscriptions {
 public:
  struct Key {
    std::string_view filter;
    std::string_view share_group;
  };
  // Transparent: looked up by Key without building strings.
  struct Hash {
    using is_transparent = void;
    size_t operator()(const Key& key) const;
    size_t operator()(const SessionSubscription& sub) const { return (*this)(Key{sub.filter, sub.share_group}); }
  };
  struct Eq {
    using is_transparent = void;
    static Key KeyOf(const Key& key) { return key; }
    static Key KeyOf(const SessionSubscription& sub) { return Key{sub.filter, sub.share_group}; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const Key x = KeyOf(a), y = KeyOf(b);
      return x.filter == y.filter && x.share_group == y.share_group;
    }
  };
  using Set = absl::flat_hash_set<SessionSubscription, Hash, Eq>;

  size_t size() const { return set_.size(); }
  bool empty() const { return set_.empty(); }
  size_t shared_count() const { return shared_count_; }
  Set::const_iterator begin() const { return set_.begin(); }
  Set::const_iterator end() const { return set_.end(); }
  const SessionSubscription* Find(Key key) const;
  std::optional<SubscriptionOptions> Upsert(SessionSubscription sub);
  bool Erase(Key key);

 private:
  Set set_;
  size_t shared_count_ = 0;  // how many have a share group: a member leaving need not look otherwise
};

// One delivery of a message to this session.
struct Delivery {
  MessageRef message;
  uint8_t qos = 0;
  bool retain = false;
  // The key of its record in the session store (net/mqtt/session_store.h), 0 while it has none:
  // 48 bits in what was padding, so a delivery stays 56 bytes.
  uint16_t store_seq_high = 0;
  uint32_t store_seq_low = 0;
  std::vector<uint32_t> subscription_ids;  // MQTT 5
  // Set when the message came through a shared subscription: its "$share/{group}/{filter}" name, so
  // a QoS 1/2 message this member can no longer take is handed to another member of the group.
  // A pointer so that the common, unshared delivery carries no string.
  std::shared_ptr<const std::string> share_group;

  uint64_t store_seq() const { return uint64_t{store_seq_high} << 32 | store_seq_low; }
  void set_store_seq(uint64_t seq) {
    store_seq_high = static_cast<uint16_t>(seq >> 32);
    store_seq_low = static_cast<uint32_t>(seq);
  }
};
static_assert(sizeof(Delivery) <= 56);

struct InflightMessage {
  enum class State : uint8_t { kAwaitPuback, kAwaitPubrec, kAwaitPubcomp };
  Delivery delivery;
  uint16_t packet_id = 0;
  State state = State::kAwaitPuback;
  uint32_t id_sequence = 0;  // the session's packet id step at which packet_id was handed out
};

struct WillMessage {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  std::string passthrough_properties;  // MQTT 5 will properties forwarded with the message
  uint32_t message_expiry_interval = 0;
  uint32_t delay_interval = 0;  // MQTT 5 will delay interval, seconds
};

struct QueueLimits {
  size_t max_messages = 0;
  size_t max_bytes = 0;
};

class Session {
 public:
  explicit Session(std::string client_id) : client_id_(std::move(client_id)) {}

  const std::string& client_id() const { return client_id_; }

  // The connection this session is attached to, if any. Opaque here: core/ knows nothing of sockets.
  void* attachment() const { return attachment_; }
  void set_attachment(void* attachment) { attachment_ = attachment; }

  // --- Subscriptions (the shard mirrors them into its topic trie); each O(1) ---
  // Returns the replaced subscription's options, if the filter (and group) was already subscribed.
  std::optional<SubscriptionOptions> AddSubscription(SessionSubscription sub);
  bool RemoveSubscription(std::string_view filter, std::string_view share_group);
  const SessionSubscription* FindSubscription(std::string_view filter, std::string_view share_group) const;
  size_t subscription_count() const { return subscriptions_ ? subscriptions_->size() : 0; }
  bool HasSharedSubscription() const { return subscriptions_ && subscriptions_->shared_count() > 0; }
  const SessionSubscriptions& subscriptions() const;

  // --- Outbound QoS 1/2 ---
  bool HasInflightRoom(size_t window) const { return inflight_count() < window; }
  // Assigns a free packet id and records the message as in flight.
  const InflightMessage& StartInflight(Delivery delivery);
  // Restart: an in-flight message read back from the session store, with the packet id and state it
  // had. Called in send order, before any StartInflight.
  void RestoreInflight(Delivery delivery, uint16_t packet_id, InflightMessage::State state);
  // PUBACK (QoS 1) or PUBCOMP (QoS 2): the message is done. False if no such packet was in that state.
  bool Complete(uint16_t packet_id, InflightMessage::State expected);
  // The in-flight message with this packet id, or null.
  InflightMessage* FindInflightMessage(uint16_t packet_id) {
    const std::optional<size_t> at = FindInflight(packet_id);
    return at.has_value() ? &qos_->inflight[*at] : nullptr;
  }
  // PUBREC: QoS 2 moves on to awaiting PUBCOMP. False if unknown.
  bool Received(uint16_t packet_id);
  // In send order, for redelivery after reconnect. Allocates the QoS state: ask inflight_count() first.
  Fifo<InflightMessage>& inflight() { return Qos().inflight; }
  // The queued messages, oldest first (for the session store). Allocates: ask queued_count() first.
  const Fifo<Delivery>& queued() { return Qos().queued; }
  size_t inflight_count() const { return qos_ ? qos_->inflight.size() : 0; }

  // Messages waiting for an in-flight slot (or for the client to come back). False: dropped.
  bool Enqueue(Delivery delivery, const QueueLimits& limits);
  // Whether Enqueue would take `delivery` within `limits`.
  bool HasQueueRoom(const Delivery& delivery, const QueueLimits& limits) const;
  std::optional<Delivery> Dequeue();
  size_t queued_count() const { return qos_ ? qos_->queued.size() : 0; }
  size_t queued_bytes() const { return queued_bytes_; }
  // Drops queued messages whose MQTT 5 expiry has passed; returns how many.
  size_t DropExpired(int64_t now_ms);

  // --- Inbound QoS 2: ids of PUBLISHes received but not yet released ---
  // True if the id is new (the message must be routed); false for a retransmission.
  bool BeginInboundQos2(uint16_t packet_id) { return Qos().inbound_qos2.insert(packet_id).second; }
  bool ReleaseInboundQos2(uint16_t packet_id) { return qos_ && qos_->inbound_qos2.erase(packet_id) > 0; }
  bool HasInboundQos2(uint16_t packet_id) const { return qos_ && qos_->inbound_qos2.contains(packet_id); }
  std::vector<uint16_t> InboundQos2Ids() const;
  // Counted against the Receive Maximum the broker announced to MQTT 5 clients.
  size_t inbound_qos2_count() const { return qos_ ? qos_->inbound_qos2.size() : 0; }

  // Gives back the buffers of past bursts (in flight, queued, inbound QoS 2) once they are all empty.
  // They are kept while traffic flows; the owner calls this when the session has gone quiet.
  void ReleaseIdleMemory() {
    if (qos_ && qos_->inflight.empty() && qos_->queued.empty() && qos_->inbound_qos2.empty()) qos_.reset();
  }

  // --- Lifetime ---
  std::unique_ptr<WillMessage>& will() { return will_; }
  const WillMessage* will_message() const { return will_.get(); }
  // Seconds the session outlives its connection; UINT32_MAX = forever (3.1.1 clean session 0).
  uint32_t expiry_interval() const { return expiry_interval_; }
  void set_expiry_interval(uint32_t seconds) { expiry_interval_ = seconds; }
  // Whether the session store holds this session (its changes are saved as they happen).
  bool durable() const { return durable_; }
  void set_durable(bool durable) { durable_ = durable; }

 private:
  uint16_t FreePacketId();
  // Position of `packet_id` in the in-flight window, or nullopt. O(log window): see the definition.
  std::optional<size_t> FindInflight(uint16_t packet_id) const;

  // The QoS 1/2 bookkeeping, allocated with the first QoS 1/2 message either way: an idle fleet
  // device (or one that publishes QoS 0) keeps none of it, and its session fits 80 bytes.
  struct QosState {
    Fifo<InflightMessage> inflight;  // in send order, for redelivery after reconnect
    Fifo<Delivery> queued;
    absl::flat_hash_set<uint16_t> inbound_qos2;
  };
  QosState& Qos() {
    if (!qos_) qos_ = std::make_unique<QosState>();
    return *qos_;
  }

  std::string client_id_;
  void* attachment_ = nullptr;
  // Allocated with the first subscription and freed with the last: many fleet clients only publish.
  std::unique_ptr<SessionSubscriptions> subscriptions_;
  std::unique_ptr<QosState> qos_;
  std::unique_ptr<WillMessage> will_;  // rare and large: kept out of line
  // 32-bit counters keep the session small (the broker caps --max_queued_bytes).
  uint32_t queued_bytes_ = 0;
  uint32_t expiry_interval_ = 0;
  uint32_t id_sequence_ = 0;  // steps of last_packet_id_ so far (wrapping), see FreePacketId()
  uint16_t last_packet_id_ = 0;
  bool durable_ = false;
};
// One allocation per client, connected or not: at millions of sessions each byte is megabytes.
static_assert(sizeof(Session) <= 80);

}  // namespace ringmq
