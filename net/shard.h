// A shard: one thread, one io_uring, its own listeners' share of the connections, the sessions whose
// client ids hash to it, its part of the subscription table, and replicas of the route table and the
// retained store. Shards share nothing mutable; they talk over the ShardMesh queues.
//
// The class is split by concern: shard.cc (event loop, sockets, sends, shutdown), shard_flow.cc
// (input backpressure), shard_protocol.cc (CONNECT, PUBLISH, acks, sessions, delivery),
// shard_subscribe.cc (SUBSCRIBE/UNSUBSCRIBE, route barrier), shard_routing.cc (publishing, cross-shard
// envelopes, retained, $SYS), shard_shared.cc (shared subscriptions), shard_mqtt5.cc, shard_auth.cc
// and shard_will.cc (MQTT 5 topic aliases and limits, AUTH exchange, delayed wills).
//
// Thread ownership: constructed by the broker's main thread, then owned by its shard thread (Run()).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/deadline_wheel.h"
#include "core/decoder.h"
#include "core/frame.h"
#include "core/message.h"
#include "core/session.h"
#include "core/token_bucket.h"
#include "net/access_control.h"
#include "net/authenticators.h"
#include "net/broker_config.h"
#include "net/connection.h"
#include "net/loop_clock.h"
#include "net/ring.h"
#include "net/shard_mesh.h"
#include "net/persistence/shard_store.h"
#include "net/shard_stats.h"
#include "routing/match_cache.h"
#include "routing/retained_store.h"
#include "routing/route_table.h"
#include "routing/topic_trie.h"

namespace ringmq {

class BridgeSet;  // net/bridge/bridge_set.h: only the files that drive it include it

struct Listener {
  int fd = -1;
  bool armed = false;
};

// A retained-message lookup a SUBSCRIBE asked for, run once its SUBACK is out.
struct RetainedRequest {
  std::string filter;
  uint8_t qos = 0;
  uint32_t subscription_id = 0;
};

// The retained messages one SUBSCRIBE still has to deliver, walked in bounded batches across loop
// turns as the client takes them (see shard_retained.cc).
struct RetainedDelivery {
  Connection* conn;
  uint32_t serial;  // tells the connection from a later one at the same address
  std::vector<RetainedRequest> requests;
  size_t next_request = 0;
  RetainedStore::MatchCursor cursor;  // within requests[next_request]
  size_t visits_in_last_batch = 0;    // topics the last batch looked at, against the turn's budget
};

// A connection's entry in the shard's deadline wheel: the connection, told from a later one at the same
// address by its serial, and the state whose deadline the entry stands for. Each state schedules its
// own entry when the connection enters it, so an entry left from an earlier state is ignored.
// Packed into 12 bytes (16 with the wheel's due tick; one per connection): the serial keeps 24 bits,
// so a connection is mistaken for one 2^24 connections later at the same address at worst, and that
// costs one needless look at its deadline.
struct __attribute__((packed, aligned(4))) ConnectionTimer {
  static constexpr uint32_t kSerialMask = (1u << 24) - 1;
  static ConnectionTimer For(const Connection& conn) {
    ConnectionTimer timer{};
    timer.conn = const_cast<Connection*>(&conn);
    timer.serial = conn.serial & kSerialMask;
    timer.state = static_cast<uint32_t>(conn.state);
    return timer;
  }
  bool StandsFor(const Connection& conn) const {
    return (conn.serial & kSerialMask) == serial && static_cast<uint32_t>(conn.state) == state;
  }
  Connection* conn;
  uint32_t serial : 24;
  uint32_t state : 8;
};
static_assert(sizeof(ConnectionTimer) == 12);

// A session's identity in the topic trie and as a message's publisher: its address on its home shard.
inline SubscriberId IdOf(const Session& session) { return reinterpret_cast<SubscriberId>(&session); }

class Shard {
 public:
  Shard(int index, const BrokerConfig& config, ShardMesh& mesh, BrokerShared& shared,
        std::vector<ShardStats>& all_stats, std::vector<int> listen_fds);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // The thread body: runs until the broker stops. Returns an error if the ring cannot be set up.
  absl::Status Run();

  // Start-up with --data_dir: fills this shard's retained replica with the restored messages. Called
  // by the main thread before Run (net/shard_persistence.cc).
  void RestoreRetained(const std::vector<MessageRef>& messages);
  // Graceful stop with --data_dir, on the main thread once every shard thread has ended: the retained
  // updates still on their way to this home shard (in the mesh, then in the senders' backlogs, in that
  // order) are saved, so a stop loses no update the broker accepted.
  void SaveRetainedLeftovers(std::vector<std::unique_ptr<Shard>>& shards);

 private:
  // --- event loop and sockets (shard.cc) ---
  void Dispatch(const Completion& c);
  void OnAccept(Listener* listener, const Completion& c);
  // A socket accepted here or handed over by another shard, with its transports if it has any.
  struct Adopted {
    int fd = -1;
    std::string_view already_received;  // MQTT bytes (decoded already when there is a transform)
    std::optional<PeerAddress> counted_peer;
    std::unique_ptr<StreamTransform> transform;
    std::string wire;  // the transform's bytes not yet sent
    uint8_t listener = 0;
    bool count_proxied_peer = false;  // --max_connections_per_ip applies once the PROXY header is read
  };
  // Returns the new connection, or nullptr when it was closed at once.
  Connection* AdoptSocket(Adopted adopted);
  void OnRecv(Connection* conn, const Completion& c);
  // Bytes from the socket: straight to ConsumeInput on plain TCP, through the transports otherwise.
  void ConsumeWire(Connection* conn, std::span<const uint8_t> data) {
    if (conn->has_stream) {
      ConsumeStream(conn, data);
    } else {
      ConsumeInput(conn, data);
    }
  }
  void OnSend(Connection* conn, int32_t res);
  void ArmRecv(Connection* conn);
  void ArmAccept(Listener* listener);
  void ArmWake();
  void ConsumeInput(Connection* conn, std::span<const uint8_t> data);
  // Reads and handles what the peer sent that the ring has not delivered yet (bounded).
  void ConsumeArrivedInput(Connection* conn);
  // `started_ms`: when the packet at the front of `data` began arriving (it may have been held).
  void ParsePackets(Connection* conn, std::span<const uint8_t> data, int64_t started_ms);
  // Holds the start of a packet not yet whole, in a buffer reserved at its announced size (0: unknown).
  void KeepIncompletePacket(Connection* conn, std::span<const uint8_t> start, size_t announced_size,
                            int64_t started_ms);
  // The CONNECT belongs to another shard: the socket and every byte from the CONNECT on go there.
  void HandOff(Connection* conn, std::span<const uint8_t> from_connect);
  void MarkForFlush(Connection* conn);
  IoBuffers& Io(Connection* conn);
  std::string& Out(Connection* conn) { return Io(conn).out; }
  void ReleaseIoIfIdle(Connection* conn);
  void FlushOutputs();
  void StartSend(Connection* conn);
  void Close(Connection* conn, std::string_view why);
  void MarkForRelease(Connection* conn);
  void ReleaseClosed();
  void Release(Connection* conn);
  void Abort(Connection* conn);

  // --- the stream layer: connections with transports (shard_stream.cc) ---
  struct Stream {
    std::unique_ptr<StreamTransform> transform;
    std::string wire;  // bytes for the socket not yet handed to it, in the order they were made
    uint8_t listener = 0;  // index of the --listen URL that accepted the connection
    bool count_proxied_peer = false;  // --max_connections_per_ip waits for the PROXY header
    bool tls_handshake_counted = false;  // the metrics counted its TLS handshake (full or resumed)
  };
  Stream* StreamOf(const Connection* conn) const;
  void AttachStream(Connection* conn, std::unique_ptr<Stream> stream);
  void ConsumeStream(Connection* conn, std::span<const uint8_t> data);
  // The handshake completed: the PROXY header's peer is counted (and logged), or refused.
  bool OnStreamEstablished(Connection* conn, Stream& stream);
  // Before establishment only: counts a completed TLS handshake, or the layer whose handshake failed.
  void CountHandshakeProgress(Stream& stream, const absl::Status& status);
  void StartStreamSend(Connection* conn);
  // MQTT output (io.out and the queue's borrowed payloads, read from their Message) into stream.wire.
  absl::Status EncodeStreamOutput(Connection* conn, Stream& stream);
  // The connection closes: its last MQTT output, then the transports' closing form, go to the wire.
  void FinishStream(Connection* conn);
  // --tls_identity_as_username: the name the CONNECT's username is replaced by (nullopt: keep it);
  // an error when the listener wants one and the client presented none.
  absl::StatusOr<std::optional<std::string>> StreamIdentity(const Connection* conn) const;
  std::string PeerText(const Connection* conn) const;  // the PROXY header's peer, for log lines

  // --- input backpressure (shard_flow.cc) ---
  bool ShouldPauseInput(const Connection* conn) const;
  void PauseInput(Connection* conn, std::span<const uint8_t> unparsed);
  void ResumePaused();
  void UpdateCongestion();
  bool QueuesHalfFree();
  void OnTick();
  // Keep-alive, CONNECT timeout and close grace: the deadline of the connection's current state, if any.
  std::optional<int64_t> DeadlineOf(const Connection* conn) const;
  void ScheduleDeadline(Connection* conn);
  void ScheduleConnectTimeouts();  // of the connections accepted since the last tick
  // The connection a wheel entry stands for, if it still exists and is still in that state.
  Connection* TimedConnection(const ConnectionTimer& timer) const;
  void OnConnectionDue(const ConnectionTimer& timer);
  void BeginShutdown();
  bool ShutdownComplete();
  int64_t NowMs() const { return now_ms_; }

  // --- input limits (shard_input_limits.cc) ---
  // Charges a PUBLISH to the client's --max_publish_rate / --max_publish_bytes_rate buckets, and
  // holds a publisher while the broker is above --memory_limit.
  void ChargePublish(Connection* conn, uint32_t packet_bytes);
  bool HeldByLimits(const Connection* conn) const;  // its input waits for a rate or the memory limit
  void ForgetLimits(const Connection* conn);
  void CheckMemory();              // RSS against --memory_limit, every kMemoryCheckMs
  bool RefusedForMemory(int fd);  // a new connection above --memory_limit is closed (true)
  // Keep-alive 0: a client holding an incomplete packet is still closed after
  // --incomplete_packet_timeout (DeadlineOf); this makes sure a wheel entry looks at it.
  void WatchIncompletePacket(Connection* conn);
  std::optional<int64_t> IncompletePacketDeadline(const Connection* conn) const;
  // MQTT 3.1.1 cannot be told a Server Keep Alive: --max_keep_alive refuses 0 or above it (0x02).
  bool RefusedKeepAlive(Connection* conn, const ConnectPacket& connect);

  // --- QoS 1/2 backpressure (shard_backpressure.cc) ---
  // A QoS 1/2 delivery found the connected session's queue at its bounds (the high-water mark): it is
  // queued anyway and its publisher held back, unless there is no publisher to hold (`live` false:
  // retained messages sent on SUBSCRIBE) or the subscriber is stuck; then it is dropped and counted.
  void DeliverPastHighWater(Session& session, Delivery delivery, bool live);
  // The session acknowledged something: its publishers are released once its queue is down to a
  // quarter of its bounds (the low-water mark).
  void OnQueueProgress(Session& session);
  // The session's queue no longer holds anyone back (drained, or its connection is gone).
  void ReleasePublishers(Session& session);
  // A hold (or release) of a client of this shard, from a full queue here or on another shard.
  void ApplyPublisherHold(uint64_t publisher_id, bool hold);
  bool HeldByFullQueues(const Connection* conn) const;  // some subscriber queue waits for it to stop
  void CheckSlowSubscribers();                          // --slow_subscriber_timeout, every tick

  // --- MQTT packets and sessions (shard_protocol.cc) ---
  // Returns false when the connection must close (it has been closed or handed off already).
  bool HandlePacket(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool OnConnect(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  void EstablishSession(Connection* conn, const ConnectPacket& connect);
  bool OnPublish(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool OnAck(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool OnSubscribe(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  struct FilterSubscribed {
    ReasonCode reason;             // for the SUBACK
    bool routes_changed = false;   // other shards were told of a new route: the SUBACK waits for them
    std::optional<RetainedRequest> retained;  // retained messages to send after the SUBACK
  };
  // One filter of a SUBSCRIBE (repeats already folded into their last occurrence).
  FilterSubscribed Subscribe(Connection* conn, const TopicSubscription& requested, uint32_t subscription_id);
  bool OnUnsubscribe(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool OnDisconnect(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  void ProtocolError(Connection* conn, ReasonCode reason, std::string_view detail);
  // Answers a CONNECT with a refusing CONNACK and closes; one log line.
  void RefuseConnect(Connection* conn, ReasonCode reason, std::string_view why);
  // A packet the decoder refused closes its connection (with the reason in MQTT 5); true if so.
  bool Rejected(Connection* conn, const DecodeError& error);
  void SendConnack(Connection* conn, ReasonCode reason, bool session_present, const Properties& props);
  void SendDisconnect(Connection* conn, ReasonCode reason, std::string_view reason_string = {});
  // `live`: a message being published now, whose publisher a full queue may hold back (not a
  // retained message sent on SUBSCRIBE).
  void Deliver(Session& session, Delivery delivery, bool live = true);
  void WritePublish(Connection* conn, const Delivery& delivery, uint16_t packet_id, bool dup);
  void PumpQueue(Session& session);
  void ResendInflight(Session& session);
  void DetachSession(Connection* conn, bool publish_will);
  void DestroySession(Session* session);
  // Returns true when the subscription gave this shard a new route (other shards were told).
  bool SubscribeSession(Session& session, const SessionSubscription& sub);
  void SendSubackAfterRouteBarrier(Connection* conn, std::string suback, std::vector<RetainedRequest> retained);
  void CompleteRouteBarrier(uint64_t id);
  bool TooManyLevels(std::string_view topic) const;
  bool UnsubscribeSession(Session& session, std::string_view filter, std::string_view group);
  // Makes sure an entry looks at the offline session by `deadline_ms` (its expiry or its delayed
  // will), and by one turn of the wheel.
  void ScheduleSessionCheck(Session* session, int64_t deadline_ms);
  // The session's entry came due: publishes a will whose delay has passed, ends the session if it is
  // offline and past its expiry, and otherwise looks again at the next of those deadlines.
  void OnSessionDue(Session* session, int64_t entry_ms);
  size_t InflightWindow(const Connection* conn) const;
  absl::StatusOr<std::string> GenerateClientId();

  // --- session and connection limits (shard_limits.cc) ---
  struct Admission {
    bool admitted = false;
    std::optional<PeerAddress> counted_peer;  // counted against --max_connections_per_ip
  };
  // --max_connect_rate, --max_connections, --max_connections_per_ip for a socket just accepted.
  // `count_peer` false: the socket's peer is a load balancer; the PROXY header's peer is counted later.
  Admission Admit(size_t listener_index, int fd, bool count_peer);
  // A socket counted by Admit is closed for good (not handed to another shard).
  void ReleaseAdmission(const std::optional<PeerAddress>& counted_peer);
  // The session's client went away: keeps the session (counted, its expiry scheduled) unless
  // --max_sessions offline sessions are kept already; false: the caller ends it.
  bool KeepOfflineSession(Session* session);
  // The session is back online or ends: it no longer counts as offline.
  void ForgetOfflineSession(Session* session);
  // --max_session_expiry applied to an expiry a client asked for.
  uint32_t CappedSessionExpiry(uint32_t requested) const;

  // --- access control (shard_access.cc) ---
  // A refused PUBLISH is acknowledged (MQTT 5: with 0x87) and not routed.
  void RefusePublish(Connection* conn, const PublishPacket& publish);
  // SIGHUP gave the broker a new policy: switch to it, close revoked logins, drop revoked filters.
  void ApplyAccessPolicyIfChanged();

  // --- MQTT 5 per-connection features (shard_mqtt5.cc) ---
  ConnectionV5State& V5State(Connection* conn);
  // Refuses a CONNECT whose will the broker cannot honour (Maximum QoS, Retain Available).
  bool CheckWillCapabilities(Connection* conn, const ConnectPacket& connect);
  // Keep alive, topic alias maximum, problem and response information, authentication: the CONNECT
  // options of an MQTT 5 client, applied to `conn` and answered in the CONNACK `props`.
  void ApplyConnectOptions(Connection* conn, const ConnectPacket& connect, Properties& props,
                           std::string& response_information);
  // Maximum QoS, Retain Available and Receive Maximum of an incoming PUBLISH; false: closed.
  bool CheckPublishCapabilities(Connection* conn, const PublishPacket& publish);
  // Replaces an aliased topic by the topic it stands for; false when the connection was closed.
  bool ResolveTopicAlias(Connection* conn, PublishPacket& publish);
  PublishPacket OutboundPublish(const Connection* conn, const Delivery& delivery, uint16_t packet_id, bool dup) const;
  // MQTT 5 Maximum Packet Size of the client: a message too large for it is dropped (and counted).
  bool FitsClient(const Connection* conn, const Delivery& delivery);
  // MQTT 5: gives the packet a topic alias (assigning one on first use) unless the client takes none
  // or a new alias would push the packet over the client's Maximum Packet Size.
  void ApplyTopicAlias(Connection* conn, PublishPacket& packet, std::string_view raw_properties);
  // Drops reason string and user properties the client did not ask for or could not take.
  void StripProblemInformation(const Connection* conn, Properties& props, size_t packet_size) const;
  void SendAck(Connection* conn, AckPacket ack);

  // --- MQTT 5 enhanced authentication (shard_auth.cc) ---
  bool BeginConnectAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body,
                        const ConnectPacket& connect);
  bool OnAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool ApplyAuthStep(Connection* conn, AuthStep step);
  bool FinishConnectAuth(Connection* conn);
  void FailAuth(Connection* conn, ReasonCode reason, std::string_view why);
  bool RefuseWithoutAuthMethod(Connection* conn);  // --require_enhanced_auth
  void SendAuth(Connection* conn, ReasonCode reason, std::string_view data);

  // --- MQTT 5 will delay (shard_will.cc) ---
  // The connection is lost without DISCONNECT: publish the will now, or once its delay has passed.
  void ScheduleWill(Session& session);
  // The client is back (or the session is replaced) before the delay passed: no will.
  void CancelDelayedWill(Session& session);
  // The session ends: a will still waiting goes out now.
  void PublishDelayedWillNow(Session& session);
  void PublishAllDelayedWills();

  // --- routing (shard_routing.cc) ---
  void Publish(MessageRef message);
  // Both take the message by value: the last destination gets the caller's reference, so the
  // common one-destination publish never touches the reference count.
  void RoutePublish(MessageRef message);
  void DeliverLocal(MessageRef message);
  // This shard's plain subscriptions matching `topic`, sorted by subscriber (a session's filters
  // are adjacent). Valid until the next call or trie change.
  std::span<const Subscription> LocalSubscriptions(std::string_view topic);
  // `reply`: who waits for the update to be durable (--persistence sync), told by the home shard.
  void UpdateRetained(MessageRef message, bool from_home, DurableReply reply = {});
  void BroadcastRouteDelta(std::string_view filter, std::string_view share_group, bool add);
  void SendEnvelope(int to, Envelope envelope);
  void DrainInbox();
  void AnswerRouteBarriers();  // the barriers received, once every queue into this shard is drained
  void HandleEnvelope(Envelope&& envelope);
  void PublishQueuedEnvelopes();
  bool CrossShardBacklogged() const { return congested_; }
  void EnterCongestion();
  bool BacklogCanMove();
  void PublishWill(Session& session);
  void PublishSysTopics();

  // --- retained messages: paced delivery on SUBSCRIBE, limits, expiry (shard_retained.cc) ---
  // Sends the SUBSCRIBE's retained messages (after its SUBACK): a first batch now, the rest on later
  // loop turns as the client has room.
  void StartRetainedDelivery(Connection* conn, std::vector<RetainedRequest> requests);
  // One batch of every waiting delivery, bounded per turn. Sets retained_work_ready_.
  void ContinueRetainedDeliveries();
  enum class RetainedProgress : uint8_t { kComplete, kMore, kBlocked };  // kBlocked: the client has no room
  // Delivers up to `max_visits` topics' worth (a delivery whose connection is gone is complete).
  RetainedProgress RunRetainedBatch(RetainedDelivery& delivery, size_t max_visits);
  // Whether the retained store may take `message` (--max_retained_messages/_bytes) per this replica.
  bool RetainedAdmits(const Message& message) const;
  void PurgeExpiredRetained();  // bounded, every tick
  // --- persistence (shard_persistence.cc) ---
  ShardStore* DurableStore() const {
    return shared_.durable_stores.empty() ? nullptr : shared_.durable_stores[index_];
  }
  // On the topic's home shard, after the replica took it: saves the update (set or clear); false
  // when it is not saved (persistence off, or a $SYS topic).
  bool PersistRetained(const Message& message);
  // Home shard: tells `reply`'s shard once the update is durable (at once when it was not `saved`).
  void ConfirmWhenDurable(const DurableReply& reply, bool saved);
  void ConfirmDurable(const DurableReply& reply);
  // Once per loop turn: closes the turn's batch (the group commit) and confirms what became durable.
  void CommitDurableTurn();
  // Publisher's shard: the acknowledgement of a retained QoS 1/2 PUBLISH waits behind a gate until
  // its update is durable; acknowledgements after it wait behind it (MQTT keeps PUBACKs in order).
  DurableReply OpenAckGate(Connection* conn);
  void ReleaseAckGate(const DurableReply& reply);
  // Where the PUBACK/PUBREC of `conn`'s PUBLISH is written: behind its last gate, or its output.
  std::string& AckOutput(Connection* conn);
  bool SyncPersistence() const { return config_.persistence == BrokerConfig::Persistence::kSync && DurableStore(); }

  // --- metrics (shard_metrics.cc; the counters are listed in net/broker_metrics.h) ---
  // Gauges of structures only this thread may read (sessions, connections), set once a tick.
  void SampleStats();
  void SamplePersistenceStats(const CommitStats& from);  // the store writer's figures into stats_

  // --- shared subscriptions (shard_shared.cc) ---
  // A publish that also matched share groups: the plain fan-out plus one copy per group, each sent
  // to the shard the route table picked for it.
  void RouteSharedPublish(const MessageRef& message, const RouteMatch& match);
  // An envelope carrying group copies (and maybe the plain fan-out) for this shard.
  void DeliverSharedEnvelope(const MessageRef& message, SharedPublish& shared);
  // Gives the message to one local member of the group, or passes it on to another shard of the
  // group (each shard at most once per pass) when no local member can take it.
  void DeliverToGroup(const MessageRef& message, ShareTarget target);
  // This shard has no member that can take the copy: on to the next shard of the group.
  void PassGroupCopyOn(const MessageRef& message, ShareTarget target);
  // Sends the group copy to a shard of the group not yet tried; false when none is left.
  bool ForwardToGroup(const MessageRef& message, ShareTarget&& target);
  // QoS 1/2 messages a leaving member held for a group go to another member: the queued ones of
  // `shared_filter` (all groups when empty), and the in-flight ones too when `include_inflight`.
  void ReleaseSharedDeliveries(Session& session, std::string_view shared_filter, bool include_inflight);

  const int index_;
  const BrokerConfig& config_;
  AuthenticatorRegistry authenticators_ = BuiltInAuthenticators(config_);  // MQTT 5 AUTH methods
  ShardMesh& mesh_;
  BrokerShared& shared_;
  AccessControl access_;
  std::vector<ShardStats>& all_stats_;
  ShardStats& stats_;
  LoopClock loop_clock_;  // busy and waiting time of the event loop, in stats_
  std::unique_ptr<Ring> ring_;
  std::vector<Listener> listeners_;

  absl::flat_hash_set<Connection*> connections_;
  std::vector<Connection*> flush_list_;
  std::vector<Connection*> release_list_;
  std::vector<std::unique_ptr<IoBuffers>> io_pool_;
  // The transports of the connections that have some (Connection::has_stream); stable addresses, as
  // a handler may look up another connection's stream while holding one.
  absl::flat_hash_map<Connection*, std::unique_ptr<Stream>> streams_;
  std::string stream_up_;  // MQTT bytes a Receive decoded, reused between calls
  // Sessions by client id; the key is the session's own client_id(), so it is stored once.
  struct SessionKey {
    using is_transparent = void;
    static std::string_view Id(std::string_view id) { return id; }
    static std::string_view Id(const std::unique_ptr<Session>& session) { return session->client_id(); }
    template <class T>
    size_t operator()(const T& key) const {
      const std::string_view id = Id(key);
      return absl::Hash<absl::string_view>{}(absl::string_view(id.data(), id.size()));
    }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return Id(a) == Id(b); }
  };
  absl::flat_hash_set<std::unique_ptr<Session>, SessionKey, SessionKey> sessions_;
  // Offline sessions kept (each counted in BrokerShared::offline_sessions) and when they end;
  // INT64_MAX: never (--max_session_expiry without a cap).
  absl::flat_hash_map<Session*, int64_t> offline_expiry_ms_;
  // Connections counted against --max_connections_per_ip (only when it is set), by connection.
  absl::flat_hash_map<Connection*, PeerAddress> counted_peers_;
  bool taking_over_ = false;  // a new connection is taking a session over: its detach is not a going-away
  // When to look at connections and offline sessions (lazily cancelled, see core/deadline_wheel.h);
  // OnTick pops them, so only what came due is visited, never every connection or session.
  static constexpr int64_t kDeadlineTickMs = 250;
  static constexpr int64_t kRecentInputMs = 1000;  // a connection with input this recent is sending
  // Turns of 256 s and 64 s (longer deadlines wait in the overflow list): the bucket arrays are a
  // fixed cost of every shard, and keep-alives and session expiries are re-checked lazily anyway.
  static constexpr size_t kConnectionDeadlineSlots = 1024;
  static constexpr size_t kSessionDeadlineSlots = 256;
  DeadlineWheel<ConnectionTimer> connection_deadlines_{kDeadlineTickMs, kConnectionDeadlineSlots};
  DeadlineWheel<Session*> session_deadlines_{kDeadlineTickMs, kSessionDeadlineSlots};
  // Connections accepted since the last tick. Nearly all have sent CONNECT by then (the listener
  // defers accept until the first bytes arrive), so only the others need a CONNECT-timeout entry:
  // a connect storm then leaves one wheel entry per connection, not two.
  std::vector<ConnectionTimer> accepted_since_tick_;
  // Per session address, the time of its one entry in session_deadlines_ that counts: a client going
  // on and offline (and changing its expiry) must not pile up entries. Later entries are ignored.
  absl::flat_hash_map<Session*, int64_t> session_entry_ms_;
  // MQTT 5 wills waiting out their delay (looked at through session_deadlines_, as expiries are).
  absl::flat_hash_map<Session*, int64_t> will_deadlines_ms_;
  std::string passthrough_scratch_;                           // encoded properties of the PUBLISH at hand
  PublishPacket publish_scratch_;                             // MQTT 3.1.1 PUBLISH being written (WritePublish)
  AckPacket ack_scratch_;                                     // PUBACK/PUBREC of a PUBLISH (OnPublish)

  TopicTrie trie_;
  RouteTable route_table_;
  RetainedStore retained_;

  std::vector<std::deque<Envelope>> backlog_;  // per destination, while its queue is full
  size_t backlog_count_ = 0;
  bool congested_ = false;  // see shard_flow.cc
  uint64_t touched_shards_ = 0;                // destinations with items pushed but not yet published
  std::vector<Connection*> paused_;            // connections whose input waits (see shard_flow.cc)
  // Input limits (shard_input_limits.cc): per connection that has published while a limit is set.
  struct PublishLimits {
    TokenBucket messages;  // --max_publish_rate
    TokenBucket bytes;     // --max_publish_bytes_rate
    bool memory_held = false;  // it published while the broker was above --memory_limit
  };
  absl::flat_hash_map<const Connection*, PublishLimits> publish_limits_;
  bool memory_over_ = false;  // RSS above --memory_limit and not yet back below the low-water mark
  int64_t next_memory_check_ms_ = 0;
  // QoS 1/2 backpressure (shard_backpressure.cc). Subscriber side: the connected sessions of this
  // shard whose queue passed its high-water mark, with the publishers (shard, publisher id) each
  // holds back. Publisher side: per client of this shard, how many full queues hold it back.
  struct FullQueue {
    absl::flat_hash_set<std::pair<int16_t, uint64_t>> publishers;
    int64_t last_progress_ms = 0;  // when it filled, or last acknowledged something since
    bool shedding = false;         // stuck past --slow_subscriber_timeout with --slow_subscriber_action=drop
  };
  absl::flat_hash_map<Session*, FullQueue> full_queues_;
  absl::flat_hash_map<uint64_t, uint32_t> publisher_holds_;

  uint64_t wake_buffer_ = 0;
  bool wake_armed_ = false;
  bool stopping_ = false;
  bool wills_done_ = false;
  int64_t now_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  int64_t next_sys_ms_ = 0;
  int64_t stop_deadline_ms_ = 0;
  std::vector<Subscription> match_scratch_;
  // Topic match caches: fleet traffic repeats topics, and both tables are walked per message.
  // A route entry keeps the plain shards and whether share groups matched: their round-robin
  // picks move on with every message, so such topics go through RouteTable::Route every time.
  struct CachedRoute {
    ShardMask plain_shards = 0;
    bool has_groups = false;
  };
  MatchCache<CachedRoute> route_cache_;
  MatchCache<absl::InlinedVector<Subscription, 2>> local_match_cache_;
  // Round-robin position per local share group ("$share/{group}/{filter}"); erased with the group.
  absl::flat_hash_map<std::string, uint32_t> share_cursors_;
  bool resume_check_ = false;  // a paused connection may be able to read again
  uint32_t connection_serial_ = 0;
  struct PendingSuback {
    Connection* conn;
    uint32_t serial;
    std::string packet;
    std::vector<RetainedRequest> retained;
    int answers_missing;
  };
  absl::flat_hash_map<uint64_t, PendingSuback> pending_subacks_;
  uint64_t next_barrier_id_ = 0;
  std::vector<BarrierEnvelope> barrier_answers_;  // owed to other shards once the inbox is drained
  // OnConnect found the CONNECT must wait for the next turn's hashing budget (net/access_control.h):
  // ParsePackets keeps it, unparsed, with what follows it.
  bool connect_deferred_ = false;
  std::deque<RetainedDelivery> retained_deliveries_;  // SUBSCRIBEs still sending retained messages
  bool retained_work_ready_ = false;  // one of them can go on now: the loop must not sleep

  // Persistence (shard_persistence.cc). Updates saved by this home shard whose publishers wait, by
  // the store ticket that makes them durable (tickets only grow).
  std::deque<std::pair<uint64_t, DurableReply>> durable_waits_;
  // Acknowledgements held per connection: each gate is an ack waiting for durability, followed by
  // the bytes of the acks written after it.
  struct HeldAcks {
    uint64_t gate = 0;
    bool durable = false;
    std::string bytes;
  };
  struct AckGates {
    uint64_t conn_serial = 0;
    uint64_t next_gate = 1;
    std::deque<HeldAcks> held;
  };
  absl::flat_hash_map<const Connection*, AckGates> ack_gates_;

  // Bridges to other brokers living on this shard (net/bridge/; made in Run once the ring exists).
  // Each is a connection of this shard whose stream is a BridgeLink, so the hooks here are few:
  // MakeBridges, the kConnect completion, the tick, and no password check for a link's CONNECT.
  std::unique_ptr<BridgeSet> bridges_;
  void MakeBridges();  // net/shard_bridge.cc
};

}  // namespace ringmq
