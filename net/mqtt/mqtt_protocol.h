// MqttProtocol: the MQTT protocol handling of one shard - CONNECT and session establishment,
// PUBLISH and the QoS flows, SUBSCRIBE/UNSUBSCRIBE, wills, MQTT 5 (topic aliases, flow control,
// enhanced authentication), shared subscriptions, retained messages, access control, and the
// routing of messages to this shard's sessions and, over the ShardMesh queues, to other shards.
//
// It takes a connection handle plus the MQTT bytes that arrived on it (ConsumeInput) and writes MQTT
// bytes to the connection's output through ConnectionIo; it makes no system call and never sees a
// socket or a transport, so tests/net/mqtt drives it with GoogleTest and a fake ConnectionIo. The
// shard loop (net/shard.h) owns the sockets, the ring and the transports, and calls in here.
//
// The work is split by concern over the files of net/mqtt/: mqtt_protocol.cc (packets, sessions,
// delivery), packet_input.cc (framing, incomplete packets), input_flow.cc (input backpressure),
// queue_backpressure.cc, input_limits.cc, session_limits.cc, subscribe.cc, publish_routing.cc,
// shared_subscriptions.cc, retained_delivery.cc, mqtt5_features.cc, enhanced_auth.cc, will_delay.cc,
// access.cc, durable_acks.cc, durable_sessions.cc and protocol_metrics.cc.
//
// Extension points it calls: Authenticator (core/authenticator.h, MQTT 5 AUTH methods), Authorizer
// (net/mqtt/authorizer.h, may a session publish/subscribe/read), SessionStore (net/mqtt/session_store.h,
// where persistent sessions are saved), the per-shard durable store (net/persistence/shard_store.h) and
// the metrics counters (net/shard_stats.h).
//
// Thread ownership: constructed by the broker's main thread with its shard, then owned by that
// shard's thread.
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
#include "net/mqtt/authorizer.h"
#include "net/mqtt/connection_io.h"
#include "net/mqtt/session_store.h"
#include "net/persistence/session_record.h"
#include "net/persistence/shard_store.h"
#include "net/runtime_limits.h"
#include "net/shard_mesh.h"
#include "net/shard_stats.h"
#include "routing/match_cache.h"
#include "routing/retained_store.h"
#include "routing/route_table.h"
#include "routing/topic_trie.h"

namespace ringmq {

// A retained-message lookup a SUBSCRIBE asked for, run once its SUBACK is out.
struct RetainedRequest {
  std::string filter;
  uint8_t qos = 0;
  uint32_t subscription_id = 0;
};

// The retained messages one SUBSCRIBE still has to deliver, walked in bounded batches across loop
// turns as the client takes them (see retained_delivery.cc).
struct RetainedDelivery {
  Connection* conn;
  uint32_t serial;  // tells the connection from a later one at the same address
  std::vector<RetainedRequest> requests;
  size_t next_request = 0;
  RetainedStore::MatchCursor cursor;  // within requests[next_request]
  size_t visits_in_last_batch = 0;    // topics the last batch looked at, against the turn's budget
};

// A session's identity in the topic trie and as a message's publisher: its address on its home shard.
inline SubscriberId IdOf(const Session& session) { return reinterpret_cast<SubscriberId>(&session); }

class MqttProtocol {
 public:
  // `authorizer`: null for the built-in ACL (--acl_file); otherwise it must outlive the protocol.
  MqttProtocol(int index, const BrokerConfig& config, ShardMesh& mesh, BrokerShared& shared,
               std::vector<ShardStats>& all_stats, ConnectionIo& io, Authorizer* authorizer = nullptr);
  MqttProtocol(const MqttProtocol&) = delete;
  MqttProtocol& operator=(const MqttProtocol&) = delete;

  // --- what the shard loop calls ---
  // MQTT bytes that arrived on `conn` (after its transports, if any).
  void ConsumeInput(Connection* conn, std::span<const uint8_t> data);
  // The loop closes `conn` (the peer left, an error, a timeout): its session goes offline or ends,
  // and its will is published unless a DISCONNECT cancelled it.
  void OnConnectionClosing(Connection* conn);
  // `conn` is about to be freed: forget everything kept about it.
  void OnConnectionReleased(const Connection* conn);
  // A loop turn starts at `now_ms`: a new hashing budget for logins.
  void BeginTurn(int64_t now_ms) {
    now_ms_ = now_ms;
    access_.BeginTurn();
  }
  // Envelopes from the other shards (publishes, route changes, retained updates, handed-over sockets).
  void DrainInbox();
  // Paused connections whose reason to wait has gone read again (when anything may have changed).
  void ResumePausedIfDue() {
    if (resume_check_) ResumePaused();
  }
  void OnTick();  // every kLoopTickMs: session deadlines, ACL reloads, $SYS, sampled metrics
  // The turn's last protocol work before the loop sends: retained deliveries that can go on, and the
  // durable store's group commit (which releases acknowledgements now durable).
  void FinishTurn();
  // Envelopes written this turn go to their shards (after the loop has sent its output).
  void PublishQueuedEnvelopes();
  // Whether the loop may sleep: false when a deferred login or a retained delivery waits for it, or
  // a queue into this shard (or a backlog out of it) can move.
  bool deferred_logins() const { return access_.deferred_this_turn(); }
  bool retained_work_ready() const { return retained_work_ready_; }
  bool InboxReady();
  // Something a paused connection waits for may have changed (its output went out, a login may go on).
  void RecheckPaused() { resume_check_ = true; }
  // --memory_limit: the process's resident size, read by the loop every few milliseconds.
  void ObserveRss(uint64_t rss_bytes);
  // The limits SIGHUP may change (net/runtime_limits.h), for the loop too (admission, timers).
  const RuntimeLimits& limits() const { return *limits_; }
  // Every tick, before OnTick: takes a newer snapshot if one was published. `next_serial`: the serial
  // the loop gives its next connection (see ShardLimits::Refresh).
  void RefreshLimits(uint32_t next_serial) {
    if (limits_.Refresh(next_serial)) ApplyChangedLimits();
  }
  bool memory_over() const { return memory_over_; }
  // Graceful stop: publishes the wills of this shard's connected clients and delayed wills now.
  void BeginShutdown();
  // Every shard has published its wills and this one's envelopes are out (or the grace is over): the
  // loop may send DISCONNECT 0x8B and close every connection.
  bool ReadyToClose(int64_t stop_deadline_ms);
  void SendDisconnect(Connection* conn, ReasonCode reason, std::string_view reason_string = {});
  // The loop hands a socket to another shard (or refuses one) through the same queues as the rest.
  void SendEnvelope(int to, Envelope envelope);

  // Start-up with --data_dir: fills this shard's retained replica with the restored messages. Called
  // by the main thread before the shard runs (durable_acks.cc).
  void RestoreRetained(const std::vector<MessageRef>& messages);
  // Graceful stop with --data_dir, on the main thread once every shard thread has ended: the retained
  // updates still on their way to this home shard (in the mesh, then in the senders' backlogs, in that
  // order) are saved, so a stop loses no update the broker accepted.
  void SaveRetainedLeftovers(const std::vector<MqttProtocol*>& protocols);
  // Start-up with --data_dir, on the main thread before the shard runs: gives the protocol its session
  // store and the sessions whose client ids hash to this shard, offline, with their routes announced
  // to every shard (durable_sessions.cc).
  void RestoreSessions(std::vector<std::pair<std::string, RestoredSession>> sessions, uint64_t next_outbound_seq);
  // The store persistent sessions are saved in from now on (RestoreSessions gives the log's; tests
  // give their own). Before the shard runs.
  void UseSessionStore(std::unique_ptr<SessionStore> store) { session_store_ = std::move(store); }

 private:
  // --- framing (packet_input.cc) ---
  // `started_ms`: when the packet at the front of `data` began arriving (it may have been held).
  void ParsePackets(Connection* conn, std::span<const uint8_t> data, int64_t started_ms);
  // Holds the start of a packet not yet whole, in a buffer reserved at its announced size (0: unknown).
  void KeepIncompletePacket(Connection* conn, std::span<const uint8_t> start, size_t announced_size,
                            int64_t started_ms);

  // --- the connection layer, as the handlers below use it ---
  // Inline fast paths: a connection under load has its buffers and is on the flush list already, so
  // the virtual calls (a few per message) are made only when something changes.
  IoBuffers& Io(Connection* conn) { return conn->io != nullptr ? *conn->io : io_.Buffers(conn); }
  std::string& Out(Connection* conn) { return Io(conn).out; }
  void MarkForFlush(Connection* conn) {
    if (!conn->in_flush_list) io_.MarkForFlush(conn);
  }
  // The built-in ACL is called directly (AccessControl is final): one check per delivery.
  bool MayReceive(const Session& session, std::string_view topic) {
    return &authorizer_ == &access_ ? access_.MayReceive(session, topic) : authorizer_.MayReceive(session, topic);
  }
  void Close(Connection* conn, std::string_view why) { io_.Close(conn, why); }
  bool StillOpen(const Connection* conn, uint64_t serial) const {
    return io_.connections().contains(const_cast<Connection*>(conn)) && conn->serial == serial;
  }

  // --- input backpressure (input_flow.cc) ---
  bool ShouldPauseInput(const Connection* conn) const;
  void PauseInput(Connection* conn, std::span<const uint8_t> unparsed);
  void ResumePaused();
  void UpdateCongestion();
  bool QueuesHalfFree();

  // --- input limits (input_limits.cc) ---
  // Charges a PUBLISH to the client's --max_publish_rate / --max_publish_bytes_rate buckets, and
  // holds a publisher while the broker is above --memory_limit.
  void ChargePublish(Connection* conn, uint32_t packet_bytes);
  bool HeldByLimits(const Connection* conn) const;  // its input waits for a rate or the memory limit
  void ForgetLimits(const Connection* conn);
  void ApplyChangedLimits();  // a new RuntimeLimits snapshot was taken (SIGHUP)
  // MQTT 3.1.1 cannot be told a Server Keep Alive: --max_keep_alive refuses 0 or above it (0x02).
  bool RefusedKeepAlive(Connection* conn, const ConnectPacket& connect);

  // --- QoS 1/2 backpressure (queue_backpressure.cc) ---
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

  // --- MQTT packets and sessions (mqtt_protocol.cc) ---
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

  // --- session limits (session_limits.cc) ---
  // The session's client went away: keeps the session (counted, its expiry scheduled) unless
  // --max_sessions offline sessions are kept already; false: the caller ends it.
  bool KeepOfflineSession(Session* session);
  // The session is back online or ends: it no longer counts as offline.
  void ForgetOfflineSession(Session* session);
  // --max_session_expiry applied to an expiry a client asked for.
  uint32_t CappedSessionExpiry(uint32_t requested) const;

  // --- access control (access.cc) ---
  // A refused PUBLISH is acknowledged (MQTT 5: with 0x87) and not routed.
  void RefusePublish(Connection* conn, const PublishPacket& publish);
  // SIGHUP gave the broker a new policy: switch to it, close revoked logins, drop revoked filters.
  void ApplyAccessPolicyIfChanged();

  // --- MQTT 5 per-connection features (mqtt5_features.cc) ---
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

  // --- MQTT 5 enhanced authentication (enhanced_auth.cc) ---
  bool BeginConnectAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body,
                        const ConnectPacket& connect);
  bool OnAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body);
  bool ApplyAuthStep(Connection* conn, AuthStep step);
  bool FinishConnectAuth(Connection* conn);
  void FailAuth(Connection* conn, ReasonCode reason, std::string_view why);
  bool RefuseWithoutAuthMethod(Connection* conn);  // --require_enhanced_auth
  void SendAuth(Connection* conn, ReasonCode reason, std::string_view data);

  // --- MQTT 5 will delay (will_delay.cc) ---
  // The connection is lost without DISCONNECT: publish the will now, or once its delay has passed.
  void ScheduleWill(Session& session);
  // The client is back (or the session is replaced) before the delay passed: no will.
  void CancelDelayedWill(Session& session);
  // The session ends: a will still waiting goes out now.
  void PublishDelayedWillNow(Session& session);
  void PublishAllDelayedWills();

  // --- routing (publish_routing.cc) ---
  void Publish(MessageRef message);
  // Both take the message by value: the last destination gets the caller's reference, so the
  // common one-destination publish never touches the reference count.
  // `reply`: the publisher's acknowledgement waits until every shard the message goes to has saved
  // the deliveries it made to persistent sessions (--persistence sync).
  void RoutePublish(MessageRef message, DurableReply reply = {});
  void DeliverLocal(MessageRef message);
  // This shard's plain subscriptions matching `topic`, sorted by subscriber (a session's filters
  // are adjacent). Valid until the next call or trie change.
  std::span<const Subscription> LocalSubscriptions(std::string_view topic);
  // `reply`: who waits for the update to be durable (--persistence sync), told by the home shard.
  void UpdateRetained(MessageRef message, bool from_home, DurableReply reply = {});
  void BroadcastRouteDelta(std::string_view filter, std::string_view share_group, bool add);
  void AnswerRouteBarriers();  // the barriers received, once every queue into this shard is drained
  void HandleEnvelope(Envelope&& envelope);
  bool CrossShardBacklogged() const { return congested_; }
  void EnterCongestion();
  bool BacklogCanMove();
  void PublishWill(Session& session);
  void PublishSysTopics();

  // --- retained messages: paced delivery on SUBSCRIBE, limits, expiry (retained_delivery.cc) ---
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
  // --- persistence (durable_acks.cc) ---
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
  // The gate `reply` stands for waits for one more confirmation (another shard delivers the message).
  void AddAckGateWait(const DurableReply& reply);
  bool SyncPersistence() const { return config_.persistence == BrokerConfig::Persistence::kSync && DurableStore(); }

  // --- persistent sessions (durable_sessions.cc; net/mqtt/session_store.h) ---
  // The store for a session whose state outlives its connection; null for others and without one.
  SessionStore* StoreOf(const Session& session) const { return session.durable() ? session_store_.get() : nullptr; }
  // Client connected (`online`) or gone: saves the session if it outlives its connection, and
  // forgets it in the store if it no longer does.
  void SaveSessionState(Session& session, ProtocolVersion version, bool online);
  // The durable session ends or no longer outlives its connection: its records go.
  void ForgetDurableSession(Session& session);
  // DeliverLocal, then tells `reply` (if wanted) once what it saved for persistent sessions is durable.
  void DeliverLocalDurably(MessageRef message, const DurableReply& reply);

  // --- metrics (protocol_metrics.cc; the counters are listed in net/broker_metrics.h) ---
  // Gauges of structures only this thread may read (sessions, paused connections), set once a tick.
  void SampleStats();
  void SamplePersistenceStats(const CommitStats& from);  // the store writer's figures into stats_

  // --- shared subscriptions (shared_subscriptions.cc) ---
  // A publish that also matched share groups: the plain fan-out plus one copy per group, each sent
  // to the shard the route table picked for it.
  // `reply`: as RoutePublish's; every shard a copy goes to confirms it.
  void RouteSharedPublish(const MessageRef& message, const RouteMatch& match, DurableReply reply = {});
  // An envelope carrying group copies (and maybe the plain fan-out) for this shard.
  void DeliverSharedEnvelope(const MessageRef& message, SharedPublish& shared);
  // --persistence sync: DeliverSharedEnvelope, then confirms `reply` once this shard's saves and those
  // of every shard it passed a group copy on to are durable (through a relay, durable_sessions.cc).
  void DeliverSharedEnvelopeDurably(const MessageRef& message, SharedPublish& shared, const DurableReply& reply);
  // A relay's confirmation (a DurableReply without a connection): once all are in, it confirms on.
  void ReleaseRelay(uint64_t relay);
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
  ConnectionIo& io_;
  AccessControl access_;  // logins, and the built-in authorizer
  ShardLimits limits_;    // the limits SIGHUP may change: read them here, not in config_
  Authorizer& authorizer_;
  std::vector<ShardStats>& all_stats_;
  ShardStats& stats_;

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
  bool taking_over_ = false;  // a new connection is taking a session over: its detach is not a going-away
  // When to look at offline sessions (lazily cancelled, see core/deadline_wheel.h);
  // OnTick pops them, so only what came due is visited, never every session.
  // Turns of 64 s (longer deadlines wait in the overflow list): the bucket arrays are a
  // fixed cost of every shard, and keep-alives and session expiries are re-checked lazily anyway.
  static constexpr size_t kSessionDeadlineSlots = 256;
  DeadlineWheel<Session*> session_deadlines_{kLoopTickMs, kSessionDeadlineSlots};
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
  bool congested_ = false;  // see input_flow.cc
  uint64_t touched_shards_ = 0;                // destinations with items pushed but not yet published
  std::vector<Connection*> paused_;            // connections whose input waits (see input_flow.cc)
  // Input limits (input_limits.cc): per connection that has published while a limit is set.
  struct PublishLimits {
    TokenBucket messages;  // --max_publish_rate
    TokenBucket bytes;     // --max_publish_bytes_rate
    bool memory_held = false;  // it published while the broker was above --memory_limit
  };
  absl::flat_hash_map<const Connection*, PublishLimits> publish_limits_;
  bool memory_over_ = false;  // RSS above --memory_limit and not yet back below the low-water mark
  // QoS 1/2 backpressure (queue_backpressure.cc). Subscriber side: the connected sessions of this
  // shard whose queue passed its high-water mark, with the publishers (shard, publisher id) each
  // holds back. Publisher side: per client of this shard, how many full queues hold it back.
  struct FullQueue {
    absl::flat_hash_set<std::pair<int16_t, uint64_t>> publishers;
    int64_t last_progress_ms = 0;  // when it filled, or last acknowledged something since
    bool shedding = false;         // stuck past --slow_subscriber_timeout with --slow_subscriber_action=drop
  };
  absl::flat_hash_map<Session*, FullQueue> full_queues_;
  absl::flat_hash_map<uint64_t, uint32_t> publisher_holds_;

  bool stopping_ = false;
  int64_t now_ms_ = 0;
  int64_t next_sys_ms_ = 0;  // shard 0: when $SYS is published next (0: not yet scheduled)
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

  // Persistence (durable_acks.cc). Updates saved by this home shard whose publishers wait, by
  // the store ticket that makes them durable (tickets only grow).
  std::deque<std::pair<uint64_t, DurableReply>> durable_waits_;
  // Acknowledgements held per connection: each gate is an ack waiting for durability, followed by
  // the bytes of the acks written after it.
  struct HeldAcks {
    uint64_t gate = 0;
    uint32_t waiting = 1;  // confirmations still missing (one per shard that saves, and the publisher's own)
    bool durable = false;
    std::string bytes;
  };
  struct AckGates {
    uint64_t conn_serial = 0;
    uint64_t next_gate = 1;
    std::deque<HeldAcks> held;
  };
  absl::flat_hash_map<const Connection*, AckGates> ack_gates_;
  // Persistent sessions' records (null without persistence): net/mqtt/session_store.h.
  std::unique_ptr<SessionStore> session_store_;
  // Group copies passed on to other shards while a PUBLISH's acknowledgement waits (sync): each
  // answers to a relay here, which answers the publisher's gate once they all did.
  struct Relay {
    DurableReply reply;
    uint32_t waiting = 1;
  };
  absl::flat_hash_map<uint64_t, Relay> relays_;
  uint64_t next_relay_ = 1;
  DurableReply group_relay_;  // the relay the group copies forwarded now answer to (unset: none)
};

}  // namespace ringmq
