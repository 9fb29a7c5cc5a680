// MQTT packet handling on a shard: CONNECT and sessions, PUBLISH and the QoS flows, SUBSCRIBE,
// UNSUBSCRIBE, PINGREQ, DISCONNECT, and delivery of messages to sessions.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/encoder.h"
#include "core/passthrough_properties.h"
#include "core/topic.h"
#include "net/client_id.h"
#include "net/home_shard.h"
#include "net/log.h"
#include "net/server_capabilities.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr uint32_t kSessionNeverExpires = std::numeric_limits<uint32_t>::max();

std::string_view VersionName(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::kV31:
      return "3.1";
    case ProtocolVersion::kV311:
      return "3.1.1";
    case ProtocolVersion::kV5:
      return "5.0";
  }
  return "?";
}

// Appends a PUBLISH of `message` to the connection's output. A payload of at least `share_threshold`
// bytes (0 = never) is not copied: its head goes into the output and the payload itself is referenced
// from the message, which every subscriber shares, until the kernel has sent it.
void AppendPublish(IoBuffers& io, const PublishPacket& packet, std::string_view raw_properties,
                   ProtocolVersion version, const MessageRef& message, uint32_t share_threshold) {
  if (share_threshold == 0 || packet.payload.size() < share_threshold) {
    EncodePublish(packet, raw_properties, version, io.out);
    return;
  }
  EncodePublishHead(packet, raw_properties, version, io.out);
  io.queue.Append(std::exchange(io.out, std::string()));
  io.queue.AppendPayload(message);
}

// The expiry a CONNECT asks for: MQTT 5 says it; a 3.1.1 clean session 0 means one that never ends.
uint32_t RequestedSessionExpiry(const ConnectPacket& connect) {
  if (IsV5(connect.version)) return connect.properties.session_expiry_interval.value_or(0);
  return connect.clean_start ? 0 : kSessionNeverExpires;
}

// PUBREL or PUBCOMP answering a packet id; MQTT 5 says why when the id is unknown.
AckPacket ReleaseOrCompletion(PacketType type, uint16_t packet_id, bool known) {
  AckPacket ack{type, packet_id};
  if (!known) {
    ack.reason = ReasonCode::kPacketIdentifierNotFound;
    ack.properties.reason_string = "packet identifier not found";
  }
  return ack;
}

}  // namespace

bool MqttProtocol::HandlePacket(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  if (conn->state == Connection::State::kAwaitConnect) {
    const bool authenticating = conn->v5 != nullptr && conn->v5->auth != nullptr;
    if (authenticating) {
      if (frame.type == PacketType::kAuth) return OnAuth(conn, frame, body);
      FailAuth(conn, ReasonCode::kProtocolError, "packet other than AUTH during authentication");
      return false;
    }
    if (frame.type != PacketType::kConnect) {
      ProtocolError(conn, ReasonCode::kProtocolError, "first packet is not CONNECT");
      return false;
    }
    return OnConnect(conn, frame, body);
  }
  switch (frame.type) {
    case PacketType::kPublish:
      return OnPublish(conn, frame, body);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return OnAck(conn, frame, body);
    case PacketType::kSubscribe:
      return OnSubscribe(conn, frame, body);
    case PacketType::kUnsubscribe:
      return OnUnsubscribe(conn, frame, body);
    case PacketType::kPingreq:
      if (Rejected(conn, DecodePingreq(frame, body))) return false;
      EncodePingresp(Out(conn));
      MarkForFlush(conn);
      return true;
    case PacketType::kDisconnect:
      return OnDisconnect(conn, frame, body);
    case PacketType::kConnect:
      ProtocolError(conn, ReasonCode::kProtocolError, "second CONNECT on one connection");
      return false;
    case PacketType::kAuth:
      return OnAuth(conn, frame, body);
    default:
      ProtocolError(conn, ReasonCode::kProtocolError, "packet type a client may not send");
      return false;
  }
}

bool MqttProtocol::Rejected(Connection* conn, const DecodeError& error) {
  if (error.ok()) return false;
  ProtocolError(conn, error.reason, error.detail);
  return true;
}

void MqttProtocol::ProtocolError(Connection* conn, ReasonCode reason, std::string_view detail) {
  Log(LogLevel::kWarning, "shard %d: closing client %s (fd %d): %s (%s)", index_,
      conn->session ? LogText(conn->session->client_id()) : std::string("<before CONNECT>"), conn->fd,
      LogText(detail), ReasonCodeName(reason));
  if (conn->state == Connection::State::kConnected) SendDisconnect(conn, reason, detail);
  Close(conn, detail);
}

bool MqttProtocol::OnConnect(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<ConnectPacket> decoded = DecodeConnect(frame, body);
  if (!decoded.ok()) {
    if (decoded.error.reason == ReasonCode::kUnsupportedProtocolVersion) {
      // Answer in 3.1.1 form: a client of an unknown version can read that much.
      conn->version = ProtocolVersion::kV311;
      SendConnack(conn, ReasonCode::kUnsupportedProtocolVersion, false, {});
    } else if (decoded.packet.version == ProtocolVersion::kV5) {
      conn->version = ProtocolVersion::kV5;
      SendConnack(conn, decoded.error.reason, false, {});
    }
    ProtocolError(conn, decoded.error.reason, decoded.error.detail);
    return false;
  }
  conn->version = decoded.packet.version;
  std::string identity;  // --tls_identity_as_username: the CONNECT's username views it from here
  if (conn->has_stream) {
    absl::StatusOr<std::optional<std::string>> stream_identity = io_.TransportIdentity(conn);
    if (!stream_identity.ok()) {
      RefuseConnect(conn, ReasonCode::kNotAuthorized, std::string(stream_identity.status().message()));
      return false;
    }
    if (stream_identity->has_value()) {
      identity = **std::move(stream_identity);
      decoded.packet.username = identity;  // before the password file and the ACL look at it
    }
  }
  const ConnectPacket& connect = decoded.packet;
  if (connect.will.has_value() && TooManyLevels(connect.will->topic)) {
    RefuseConnect(conn, IsV5(connect.version) ? ReasonCode::kTopicNameInvalid : ReasonCode::kServerUnavailable,
                  "will topic has more levels than --max_topic_levels");
    return false;
  }
  if (connect.client_id.empty() && !connect.clean_start && !IsV5(connect.version)) {
    RefuseConnect(conn, ReasonCode::kClientIdentifierNotValid, "empty client id with clean session 0");
    return false;
  }
  if (RefusedKeepAlive(conn, connect)) return false;
  if (!connect.client_id.empty()) {
    const int home = HomeShard(connect.client_id, mesh_.shard_count());
    if (home != index_) {
      conn->handoff_to = static_cast<int8_t>(home);
      return false;
    }
  }
  if (!CheckWillCapabilities(conn, connect)) return false;
  // An enhanced-authentication method decides the login itself; otherwise the password file does.
  if (connect.properties.authentication_method.has_value()) return BeginConnectAuth(conn, frame, body, connect);
  if (config_.require_enhanced_auth) return RefuseWithoutAuthMethod(conn);
  // A bridge's local session is the broker's own: no password (mosquitto's bridges bypass it too).
  const LoginVerdict login = conn->bridge ? LoginVerdict{} : access_.CheckLogin(connect);
  if (login.outcome == LoginOutcome::kDeferred) {
    connect_deferred_ = true;
    return false;
  }
  if (login.outcome == LoginOutcome::kRefused) {
    stats_.logins_refused.Add(1);
    RefuseConnect(conn, login.reason, login.why);
    return false;
  }
  EstablishSession(conn, connect);
  return conn->state == Connection::State::kConnected;
}

void MqttProtocol::EstablishSession(Connection* conn, const ConnectPacket& connect) {
  // Who logged in: the user an enhanced-authentication exchange proved, else the CONNECT's username.
  const bool enhanced = conn->v5 != nullptr && !conn->v5->auth_identity.empty();
  const std::optional<std::string_view> login =
      enhanced ? std::optional<std::string_view>(conn->v5->auth_identity) : connect.username;
  const bool assigned_id = connect.client_id.empty();
  absl::StatusOr<std::string> client_id = assigned_id ? GenerateClientId() : std::string(connect.client_id);
  if (!client_id.ok()) {
    Log(LogLevel::kError, "shard %d: cannot assign a client id: %s", index_, client_id.status().ToString());
    SendConnack(conn, ReasonCode::kServerUnavailable, false, {});
    Close(conn, "no client id could be assigned");
    return;
  }

  if (auto it = sessions_.find(std::string_view(*client_id)); it != sessions_.end()) {
    if (!access_.MayTakeOver(**it, login)) {
      stats_.logins_refused.Add(1);
      RefuseConnect(conn, ReasonCode::kClientIdentifierNotValid, "client id belongs to another login");
      return;
    }
    if (auto* old = static_cast<Connection*>((*it)->attachment())) {
      // A client that sent DISCONNECT and reconnected at once expects its DISCONNECT to count.
      io_.ConsumeArrivedInput(old);
      if (old->state == Connection::State::kConnected) {
        SendDisconnect(old, ReasonCode::kSessionTakenOver);
        taking_over_ = true;  // the session is back online below: --max_sessions does not apply
        Close(old, "session taken over by a new connection");
        taking_over_ = false;
      }
    }
  }
  // Closing the old connection may have ended a session that did not outlive it: look again.
  Session* session = nullptr;
  bool session_present = false;
  if (auto it = sessions_.find(std::string_view(*client_id)); it != sessions_.end()) {
    CancelDelayedWill(**it);  // the client is back within its will delay
    if (connect.clean_start) {
      DestroySession(it->get());
    } else {
      session = it->get();
      session_present = true;
      ForgetOfflineSession(session);
    }
  }
  if (session == nullptr) {
    auto fresh = std::make_unique<Session>(*client_id);
    session = fresh.get();
    sessions_.insert(std::move(fresh));
  }

  const uint32_t requested_expiry = RequestedSessionExpiry(connect);
  const uint32_t granted_expiry = CappedSessionExpiry(requested_expiry);
  session->set_expiry_interval(granted_expiry);
  if (IsV5(connect.version)) {
    conn->receive_maximum = connect.properties.receive_maximum.value_or(65535);
    conn->max_packet_size_out = connect.properties.maximum_packet_size.value_or(0);
  }
  session->will().reset();
  if (connect.will.has_value()) {
    const Will& will = *connect.will;
    auto message = std::make_unique<WillMessage>();
    message->topic.assign(will.topic);
    message->payload.assign(will.payload);
    message->qos = will.qos;
    message->retain = will.retain;
    AppendPassthroughProperties(will.properties, message->passthrough_properties);
    message->message_expiry_interval = will.properties.message_expiry_interval.value_or(0);
    message->delay_interval = will.properties.will_delay_interval.value_or(0);
    session->will() = std::move(message);
  }

  access_.RecordLogin(*session, login, enhanced);
  session->set_attachment(conn);
  conn->session = session;
  conn->keep_alive_s = connect.keep_alive;
  conn->will_due = true;
  conn->state = Connection::State::kConnected;
  stats_.clients_connected.Add(1);

  Properties props;
  std::string response_information;
  if (IsV5(connect.version)) {
    if (assigned_id) props.assigned_client_identifier = session->client_id();
    // The client learns the expiry --max_session_expiry left it (MQTT 5.0 section 3.2.2.3.2).
    if (granted_expiry != requested_expiry) props.session_expiry_interval = granted_expiry;
    AddCapabilityProperties(config_, limits_.MaxPacketSizeFor(conn->serial), props);
    ApplyConnectOptions(conn, connect, props, response_information);
  }
  SaveSessionState(*session, connect.version, /*online=*/true);
  io_.ScheduleDeadline(conn);  // keep-alive, known now: it may end before the CONNECT timeout would have
  SendConnack(conn, ReasonCode::kSuccess, session_present, props);
  Log(LogLevel::kDebug, "shard %d: client %s connected%s (MQTT %s, keep-alive %d s, session present %d)", index_,
      LogText(session->client_id()), io_.PeerText(conn), VersionName(connect.version), connect.keep_alive,
      session_present);
  if (session_present) {
    ResendInflight(*session);
    PumpQueue(*session);
  }
}

absl::StatusOr<std::string> MqttProtocol::GenerateClientId() {
  // The id must hash to this shard, where its session is about to live.
  return RandomClientIdForShard(index_, mesh_.shard_count());
}

void MqttProtocol::RefuseConnect(Connection* conn, ReasonCode reason, std::string_view why) {
  Log(LogLevel::kInfo, "shard %d: refused CONNECT (fd %d): %s (%s)", index_, conn->fd, why, ReasonCodeName(reason));
  SendConnack(conn, reason, false, {});
  Close(conn, why);
}

void MqttProtocol::SendConnack(Connection* conn, ReasonCode reason, bool session_present, const Properties& props) {
  ConnackPacket connack;
  connack.reason = reason;
  connack.session_present = session_present && reason == ReasonCode::kSuccess;
  connack.properties = props;
  EncodeConnack(connack, conn->version, Out(conn));
  conn->draining = reason != ReasonCode::kSuccess;  // a refusal is its last packet
  MarkForFlush(conn);
}

void MqttProtocol::SendDisconnect(Connection* conn, ReasonCode reason, std::string_view reason_string) {
  if (!IsV5(conn->version) || conn->state != Connection::State::kConnected) return;
  DisconnectPacket packet;
  packet.reason = reason;
  if (!reason_string.empty()) packet.properties.reason_string = reason_string;
  std::string bytes;
  EncodeDisconnect(packet, conn->version, bytes);
  if (conn->max_packet_size_out != 0 && bytes.size() > conn->max_packet_size_out) {
    // The reason string is a courtesy; the reason code must get through.
    packet.properties.reason_string.reset();
    bytes.clear();
    EncodeDisconnect(packet, conn->version, bytes);
  }
  Out(conn).append(bytes);
  conn->draining = true;  // it must be able to read this before the connection ends
  MarkForFlush(conn);
}

void MqttProtocol::DetachSession(Connection* conn, bool publish_will) {
  Session* session = conn->session;
  conn->session = nullptr;
  session->set_attachment(nullptr);
  if (!full_queues_.empty()) ReleasePublishers(*session);  // nobody reads its queue now
  stats_.clients_connected.Sub(1);
  if (publish_will) {
    ScheduleWill(*session);  // at once, or after the MQTT 5 will delay
  } else {
    session->will().reset();
  }
  if (session->expiry_interval() == 0 || !KeepOfflineSession(session)) {
    DestroySession(session);
    return;
  }
  SaveSessionState(*session, conn->version, /*online=*/false);
  // The session stays, but group messages not yet sent to it go to members that are connected;
  // those in flight stay for a retransmission if it comes back (MQTT 5.0 section 4.8.2).
  ReleaseSharedDeliveries(*session, {}, /*include_inflight=*/false);
  session->ReleaseIdleMemory();
}

void MqttProtocol::DestroySession(Session* session) {
  PublishDelayedWillNow(*session);  // the session ends before the will delay did
  if (StoreOf(*session) != nullptr) ForgetDurableSession(*session);
  if (!full_queues_.empty()) ReleasePublishers(*session);  // its address must not keep holding anyone
  for (const SessionSubscription& sub : session->subscriptions()) {
    if (trie_.Remove(sub.filter, sub.share_group, IdOf(*session)).filter_removed_from_trie) {
      BroadcastRouteDelta(sub.filter, sub.share_group, false);
    }
    stats_.subscriptions.Sub(1);
  }
  // Out of the trie now, so none of its group messages can come back to it.
  ReleaseSharedDeliveries(*session, {}, /*include_inflight=*/true);
  ForgetOfflineSession(session);
  access_.ForgetSession(*session);
  sessions_.erase(sessions_.find(std::string_view(session->client_id())));
}

void MqttProtocol::ScheduleSessionCheck(Session* session, int64_t deadline_ms) {
  // Capped at one turn, so an entry that stops counting (an earlier one replaced it) is gone soon.
  const int64_t entry_ms = std::min(deadline_ms, now_ms_ + session_deadlines_.span_ms());
  auto it = session_entry_ms_.find(session);
  if (it != session_entry_ms_.end() && it->second <= entry_ms) return;  // that entry comes first, and will look again
  session_entry_ms_[session] = session_deadlines_.Schedule(session, entry_ms);  // as the wheel will hand it back
}

void MqttProtocol::OnSessionDue(Session* session, int64_t entry_ms) {
  auto entry = session_entry_ms_.find(session);
  if (entry == session_entry_ms_.end() || entry->second != entry_ms) return;  // replaced by an earlier one
  session_entry_ms_.erase(entry);
  // will_deadlines_ms_ and offline_expiry_ms_ are the truth; the entry only says when to look. The
  // session may be back online, ended, or (at the same address) another session may be waiting now.
  int64_t next_ms = std::numeric_limits<int64_t>::max();
  if (auto will = will_deadlines_ms_.find(session); will != will_deadlines_ms_.end()) {
    if (now_ms_ >= will->second) {
      PublishDelayedWillNow(*session);
    } else {
      next_ms = will->second;
    }
  }
  if (auto expiry = offline_expiry_ms_.find(session); expiry != offline_expiry_ms_.end()) {
    if (now_ms_ >= expiry->second) {
      DestroySession(session);
      return;
    }
    next_ms = std::min(next_ms, expiry->second);
  }
  if (next_ms != std::numeric_limits<int64_t>::max()) ScheduleSessionCheck(session, next_ms);
}

size_t MqttProtocol::InflightWindow(const Connection* conn) const {
  return std::min<size_t>(config_.max_inflight, conn->receive_maximum);
}

void MqttProtocol::Deliver(Session& session, Delivery delivery, bool live) {
  if (!MayReceive(session, delivery.message->topic())) return;
  auto* conn = static_cast<Connection*>(session.attachment());
  if (conn != nullptr && !FitsClient(conn, delivery)) return;
  if (delivery.qos == 0) {
    // QoS 0 is never queued: beyond the output bound, or with nobody connected, it is dropped.
    if (conn == nullptr || conn->pending_output() >= limits_->max_queued_bytes) {
      stats_.CountDrop(conn == nullptr ? DropReason::kQos0Offline : DropReason::kQos0OutputFull);
      return;
    }
    WritePublish(conn, delivery, 0, false);
    return;
  }
  if (conn != nullptr && session.queued_count() == 0 && session.HasInflightRoom(InflightWindow(conn))) {
    InflightMessage& inflight = const_cast<InflightMessage&>(session.StartInflight(std::move(delivery)));
    if (SessionStore* store = StoreOf(session)) store->SaveInflight(session, inflight);
    WritePublish(conn, inflight.delivery, inflight.packet_id, false);
    return;
  }
  const QueueLimits limits{limits_->max_queued_messages, limits_->max_queued_bytes};
  if (session.HasQueueRoom(delivery, limits)) {
    if (SessionStore* store = StoreOf(session)) store->SaveQueued(session, delivery);
    session.Enqueue(std::move(delivery), limits);
  } else if (conn == nullptr) {
    stats_.CountDrop(DropReason::kOfflineQueue);
  } else {
    DeliverPastHighWater(session, std::move(delivery), live);  // queue_backpressure.cc
  }
}

void MqttProtocol::WritePublish(Connection* conn, const Delivery& delivery, uint16_t packet_id, bool dup) {
  if (!IsV5(conn->version)) {
    // MQTT 3.1.1 has no properties or aliases: one reused packet spares building and destroying a
    // PublishPacket, with its empty property set, per delivered message.
    PublishPacket& packet = publish_scratch_;
    packet.dup = dup;
    packet.qos = delivery.qos;
    packet.retain = delivery.retain;
    packet.topic = delivery.message->topic();
    packet.packet_id = packet_id;
    packet.payload = delivery.message->payload();
    AppendPublish(Io(conn), packet, {}, conn->version, delivery.message, config_.shared_payload_threshold);
    stats_.messages_sent[delivery.qos].Add(1);
    MarkForFlush(conn);
    return;
  }
  PublishPacket packet = OutboundPublish(conn, delivery, packet_id, dup);
  ApplyTopicAlias(conn, packet, delivery.message->passthrough_properties());
  AppendPublish(Io(conn), packet, delivery.message->passthrough_properties(), conn->version, delivery.message,
                config_.shared_payload_threshold);
  stats_.messages_sent[delivery.qos].Add(1);
  MarkForFlush(conn);
}

void MqttProtocol::PumpQueue(Session& session) {
  auto* conn = static_cast<Connection*>(session.attachment());
  if (conn == nullptr) return;
  const size_t window = InflightWindow(conn);
  while (session.HasInflightRoom(window)) {
    std::optional<Delivery> next = session.Dequeue();
    if (!next.has_value()) break;
    SessionStore* store = StoreOf(session);
    if (next->message->ExpiredAt(now_ms_) || !FitsClient(conn, *next)) {
      if (store != nullptr) store->DeleteOutbound(session, *next);
      continue;
    }
    InflightMessage& inflight = const_cast<InflightMessage&>(session.StartInflight(std::move(*next)));
    if (store != nullptr) store->SaveInflight(session, inflight);
    WritePublish(conn, inflight.delivery, inflight.packet_id, false);
  }
  if (!full_queues_.empty()) OnQueueProgress(session);
}

void MqttProtocol::ResendInflight(Session& session) {
  if (session.inflight_count() == 0) return;
  auto* conn = static_cast<Connection*>(session.attachment());
  Fifo<InflightMessage>& all = session.inflight();
  for (size_t i = 0; i < all.size();) {
    const InflightMessage& inflight = all[i];
    if (inflight.state == InflightMessage::State::kAwaitPubcomp) {
      EncodeAck(AckPacket{PacketType::kPubrel, inflight.packet_id}, conn->version, Out(conn));
    } else if (!FitsClient(conn, inflight.delivery)) {
      // The client came back with a smaller Maximum Packet Size: the message is discarded as if it
      // had been delivered [MQTT-3.1.2-25], and frees its in-flight slot.
      if (SessionStore* store = StoreOf(session)) store->DeleteOutbound(session, inflight.delivery);
      session.Complete(inflight.packet_id, inflight.state);
      continue;
    } else {
      WritePublish(conn, inflight.delivery, inflight.packet_id, true);
    }
    ++i;
  }
  MarkForFlush(conn);
}

bool MqttProtocol::OnPublish(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<PublishPacket> decoded = DecodePublish(frame, body, conn->version);
  if (Rejected(conn, decoded.error)) return false;
  PublishPacket& publish = decoded.packet;
  if (!ResolveTopicAlias(conn, publish) || !CheckPublishCapabilities(conn, publish)) return false;
  if (TooManyLevels(publish.topic)) {
    ProtocolError(conn, ReasonCode::kTopicNameInvalid, "topic has more levels than --max_topic_levels");
    return false;
  }
  stats_.messages_received[publish.qos].Add(1);
  ChargePublish(conn, frame.total_size());
  Session& session = *conn->session;
  if (!authorizer_.MayPublish(session, publish.topic)) {
    RefusePublish(conn, publish);
    return true;
  }
  const bool fresh = publish.qos < 2 || session.BeginInboundQos2(publish.packet_id);
  DurableReply own_wait;  // --persistence sync: the gate of this PUBLISH's acknowledgement
  if (fresh) {
    MessageParams params;
    params.topic = publish.topic;
    params.payload = publish.payload;
    params.qos = publish.qos;
    params.retain = publish.retain;
    params.publisher_id = IdOf(session);
    params.publisher_shard = static_cast<int16_t>(index_);  // a full subscriber queue may hold it back
    passthrough_scratch_.clear();
    AppendPassthroughProperties(publish.properties, passthrough_scratch_);
    params.passthrough_properties = passthrough_scratch_;
    if (publish.properties.message_expiry_interval.has_value()) {
      params.expiry_deadline_ms = now_ms_ + static_cast<int64_t>(*publish.properties.message_expiry_interval) * 1000;
    }
    MessageRef message = Message::Create(params);
    if (publish.retain && !RetainedAdmits(*message)) {
      // The retained store is full (--max_retained_messages/_bytes, as this replica sees it; the
      // topic's home shard checks again). An MQTT 5 QoS 1/2 publisher is told (0x97) and, as for any
      // error reason, the message is not accepted at all; otherwise the publisher cannot be told, so
      // the current subscribers still get it, without the retain flag: it was not retained.
      stats_.retained_refused.Add(1);
      if (IsV5(conn->version) && publish.qos > 0) {
        if (publish.qos == 2) session.ReleaseInboundQos2(publish.packet_id);  // the flow ends with PUBREC
        SendAck(conn, AckPacket{publish.qos == 1 ? PacketType::kPuback : PacketType::kPubrec, publish.packet_id,
                                ReasonCode::kQuotaExceeded, {}});
        return true;
      }
      params.retain = false;
      message = Message::Create(params);
    }
    if (publish.qos == 2) {
      if (SessionStore* store = StoreOf(session)) store->SaveInboundQos2(session, publish.packet_id);
    }
    if (publish.qos > 0 && SyncPersistence() &&
        (message->retain() || shared_.durable_subscriptions.load(std::memory_order_relaxed) > 0)) {
      // Acknowledged once the topic's home shard has the retained update on disk, and every shard
      // the message went to has its deliveries to persistent sessions on disk (durable_acks.cc).
      own_wait = OpenAckGate(conn);
      if (message->retain()) {
        AddAckGateWait(own_wait);
        UpdateRetained(message, false, own_wait);
      }
      RoutePublish(std::move(message), own_wait);
    } else {
      Publish(std::move(message));
    }
  }
  if (publish.qos > 0) {
    // A reused packet (success, no properties): building an AckPacket with its empty property set
    // per PUBLISH costs more than encoding its four bytes.
    ack_scratch_.type = publish.qos == 1 ? PacketType::kPuback : PacketType::kPubrec;
    ack_scratch_.packet_id = publish.packet_id;
    EncodeAck(ack_scratch_, conn->version, ack_gates_.empty() ? Out(conn) : AckOutput(conn));
    MarkForFlush(conn);
  }
  if (own_wait.wanted()) ReleaseAckGate(own_wait);  // routed: only the confirmations are missing now
  return true;
}

bool MqttProtocol::OnAck(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<AckPacket> decoded = DecodeAck(frame, body, conn->version);
  if (Rejected(conn, decoded.error)) return false;
  const AckPacket& ack = decoded.packet;
  Session& session = *conn->session;
  switch (ack.type) {
    case PacketType::kPuback:
      if (CompleteDurably(StoreOf(session), session, ack.packet_id, InflightMessage::State::kAwaitPuback)) {
        PumpQueue(session);
      }
      break;
    case PacketType::kPubrec:
      if (IsError(ack.reason)) {
        // MQTT 5: the receiver refused the message; the flow ends here.
        if (CompleteDurably(StoreOf(session), session, ack.packet_id, InflightMessage::State::kAwaitPubrec)) {
          PumpQueue(session);
        }
      } else {
        SendAck(conn, ReleaseOrCompletion(PacketType::kPubrel, ack.packet_id,
                                          ReceivedDurably(StoreOf(session), session, ack.packet_id)));
      }
      break;
    case PacketType::kPubcomp:
      if (CompleteDurably(StoreOf(session), session, ack.packet_id, InflightMessage::State::kAwaitPubcomp)) {
        PumpQueue(session);
      }
      break;
    case PacketType::kPubrel: {
      const bool known = session.ReleaseInboundQos2(ack.packet_id);
      if (SessionStore* store = StoreOf(session); store != nullptr && known) store->DeleteInboundQos2(session, ack.packet_id);
      SendAck(conn, ReleaseOrCompletion(PacketType::kPubcomp, ack.packet_id, known));
      break;
    }
    default:
      break;
  }
  return true;
}

bool MqttProtocol::OnDisconnect(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<DisconnectPacket> decoded = DecodeDisconnect(frame, body, conn->version);
  if (Rejected(conn, decoded.error)) return false;
  const DisconnectPacket& disconnect = decoded.packet;
  Session& session = *conn->session;
  if (disconnect.properties.session_expiry_interval.has_value()) {
    if (session.expiry_interval() == 0 && *disconnect.properties.session_expiry_interval != 0) {
      ProtocolError(conn, ReasonCode::kProtocolError, "session expiry set at DISCONNECT after CONNECT had 0");
      return false;
    }
    session.set_expiry_interval(CappedSessionExpiry(*disconnect.properties.session_expiry_interval));
  }
  // MQTT 5 reason 0x04 asks for the will to be published anyway.
  conn->will_due = disconnect.reason == ReasonCode::kDisconnectWithWill;
  Close(conn, "client sent DISCONNECT");
  return false;
}

}  // namespace ringmq
