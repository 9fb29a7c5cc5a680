#include "net/bridge/bridge_link.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/decoder.h"
#include "core/encoder.h"
#include "core/reason_code.h"
#include "core/text.h"
#include "net/log.h"

namespace ringmq {
namespace {

// A bridge takes any packet size its peers do; the remote's own limit is passed to the shard.
constexpr uint32_t kMaxFrame = 268'435'460;
constexpr uint16_t kSubscribePacketId = 1;
constexpr uint16_t kUnsubscribePacketId = 2;  // the local session's, for the `out` filters a SIGHUP dropped
// mosquitto's bridge bit: protocol level 4 | 0x80 asks the remote not to send our messages back.
constexpr uint8_t kBridgeProtocolBit = 0x80;
constexpr uint32_t kSessionNeverExpires = std::numeric_limits<uint32_t>::max();

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// The PUBLISH properties that describe the message (expiry, content type, response topic, user
// properties ...) cross the bridge; those of one hop (topic alias, subscription identifiers) do not.
Properties MessageProperties(const Properties& in) {
  Properties out = in;
  out.topic_alias.reset();
  out.subscription_identifiers.clear();
  return out;
}

// Splits `buffer` into whole packets, calling handle(frame, body) for each; keeps an incomplete tail.
template <class Handler>
absl::Status ForEachPacket(std::string& buffer, Handler&& handle) {
  size_t used = 0;
  absl::Status status;
  while (status.ok()) {
    const std::span<const uint8_t> rest = Bytes(std::string_view(buffer).substr(used));
    const FrameResult result = ParseFrame(rest, kMaxFrame);
    if (result.status == FrameStatus::kNeedMore) break;
    if (result.status != FrameStatus::kOk) {
      status = absl::DataLossError("malformed packet");
      break;
    }
    const Frame& frame = result.frame;
    status = handle(frame, rest.subspan(frame.header_size, frame.remaining_length));
    used += frame.total_size();
  }
  buffer.erase(0, used);
  return status;
}

}  // namespace

BridgeLink::BridgeLink(const BridgeConfig& config, const BridgeTopicMap& topics, BridgeStats& stats,
                       std::unique_ptr<StreamTransform> tls, BridgeLinkObserver* observer,
                       const BridgeTopicMap* previous)
    : config_(config),
      topics_(topics),
      previous_(previous),
      stats_(stats),
      tls_(std::move(tls)),
      observer_(observer),
      remote_version_(config.mqtt5 ? ProtocolVersion::kV5 : ProtocolVersion::kV311),
      phase_(tls_ != nullptr ? Phase::kTls : Phase::kAwaitConnack) {}

BridgeLink::~BridgeLink() {
  if (observer_ != nullptr) observer_->OnLinkGone(why_);
}

absl::Status BridgeLink::Fail(absl::Status status) {
  if (why_.empty()) why_ = std::string(status.message());
  return status;
}

absl::Status BridgeLink::Start(std::string& down) {
  if (tls_ == nullptr) return SendConnect(down);
  std::string nothing_up;
  return Fail(tls_->Receive({}, TransformSinks{nothing_up, down}));  // writes the ClientHello
}

absl::Status BridgeLink::ToRemote(std::string_view bytes, std::string& down) {
  if (tls_ == nullptr) {
    down.append(bytes);
    return absl::OkStatus();
  }
  return tls_->Send(Bytes(bytes), down);
}

absl::Status BridgeLink::SendConnect(std::string& down) {
  ConnectPacket connect;
  connect.version = remote_version_;
  connect.clean_start = config_.clean_session;
  connect.keep_alive = config_.keepalive_s;
  connect.client_id = config_.remote_client_id;
  if (config_.username.has_value()) connect.username = *config_.username;
  if (config_.password.has_value()) connect.password = *config_.password;
  if (config_.mqtt5 && !config_.clean_session) connect.properties.session_expiry_interval = kSessionNeverExpires;
  scratch_.clear();
  EncodeConnect(connect, scratch_);
  if (!config_.mqtt5 && config_.try_private) {
    const FrameResult frame = ParseFrame(Bytes(scratch_), kMaxFrame);
    scratch_[frame.frame.header_size + 6] |= static_cast<char>(kBridgeProtocolBit);  // after "\0\4MQTT"
  }
  phase_ = Phase::kAwaitConnack;
  return ToRemote(scratch_, down);
}

absl::Status BridgeLink::Ping(std::string& down) {
  if (phase_ != Phase::kOpen) return absl::OkStatus();  // the shard's --connect_timeout covers the start
  if (ping_outstanding_) return Fail(absl::DeadlineExceededError("no PINGRESP within the keepalive interval"));
  ping_outstanding_ = true;
  scratch_.clear();
  EncodePingreq(scratch_);
  return ToRemote(scratch_, down);
}

absl::Status BridgeLink::Receive(std::span<const uint8_t> in, TransformSinks sinks) {
  if (tls_ != nullptr) {
    plain_.clear();
    if (absl::Status status = tls_->Receive(in, TransformSinks{plain_, sinks.down}); !status.ok()) return Fail(status);
    if (phase_ == Phase::kTls) {
      if (!tls_->established()) return absl::OkStatus();
      if (absl::Status status = SendConnect(sinks.down); !status.ok()) return Fail(status);
    }
    remote_in_.append(plain_);
  } else {
    remote_in_.append(reinterpret_cast<const char*>(in.data()), in.size());
  }
  return Fail(ForEachPacket(remote_in_, [&](const Frame& frame, std::span<const uint8_t> body) {
    return HandleRemote(frame, body, sinks);
  }));
}

absl::Status BridgeLink::HandleRemote(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks) {
  if (phase_ == Phase::kAwaitConnack) {
    if (frame.type != PacketType::kConnack) return absl::FailedPreconditionError("remote sent no CONNACK");
    return OnConnack(frame, body, sinks);
  }
  switch (frame.type) {
    case PacketType::kSuback: {
      Decoded<SubackPacket> suback = DecodeSuback(frame, body, remote_version_);
      if (!suback.ok()) return absl::DataLossError(absl::StrCat("bad SUBACK: ", AbslView(suback.error.detail)));
      for (size_t i = 0; i < suback.packet.reasons.size(); ++i) {
        if (static_cast<uint8_t>(suback.packet.reasons[i]) >= 0x80) {
          Log(LogLevel::kWarning, "bridge %s: the remote refused subscription %d: %s", config_.name, i + 1,
              ReasonCodeName(suback.packet.reasons[i]));
        }
      }
      if (phase_ != Phase::kAwaitSuback) return absl::OkStatus();
      OpenLocal(sinks.up);
      // What a resumed remote session sent ahead of the SUBACK, now that the local session is there.
      std::string held = std::exchange(held_remote_, std::string());
      return ForEachPacket(held, [&](const Frame& held_frame, std::span<const uint8_t> held_body) {
        return HandleRemote(held_frame, held_body, sinks);
      });
    }
    case PacketType::kPublish:
    case PacketType::kPubrel:
      if (phase_ == Phase::kAwaitSuback) {
        // A resumed remote session delivers what it kept for us right after its CONNACK; it waits
        // here until the local session is open (its ids cannot be mistaken: they are the remote's).
        held_remote_.append(reinterpret_cast<const char*>(body.data()) - frame.header_size,
                            frame.total_size());
        return absl::OkStatus();
      }
      if (frame.type == PacketType::kPubrel) return RelayAck(frame, body, sinks.up);
      return OnRemotePublish(frame, body, sinks);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubcomp:
      return RelayAck(frame, body, sinks.up);
    case PacketType::kPingresp:
      ping_outstanding_ = false;
      return absl::OkStatus();
    case PacketType::kUnsuback:
      return absl::OkStatus();
    case PacketType::kDisconnect: {
      Decoded<DisconnectPacket> disconnect = DecodeDisconnect(frame, body, remote_version_);
      return absl::UnavailableError(absl::StrCat("remote sent DISCONNECT (", AbslView(ReasonCodeName(disconnect.packet.reason)), ")"));
    }
    default:
      return absl::FailedPreconditionError(absl::StrCat("remote sent packet type ", static_cast<int>(frame.type)));
  }
}

absl::Status BridgeLink::RelayAck(const Frame& frame, std::span<const uint8_t> body, std::string& up) {
  Decoded<AckPacket> ack = DecodeAck(frame, body, remote_version_);
  if (!ack.ok()) return absl::DataLossError(absl::StrCat("bad acknowledgement: ", AbslView(ack.error.detail)));
  ack.packet.properties = {};
  EncodeAck(ack.packet, ProtocolVersion::kV5, up);
  return absl::OkStatus();
}

absl::Status BridgeLink::OnConnack(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks) {
  Decoded<ConnackPacket> connack = DecodeConnack(frame, body, remote_version_);
  if (!connack.ok()) return absl::DataLossError(absl::StrCat("bad CONNACK: ", AbslView(connack.error.detail)));
  if (connack.packet.reason != ReasonCode::kSuccess) {
    return absl::PermissionDeniedError(absl::StrCat("remote refused the CONNECT: ", AbslView(ReasonCodeName(connack.packet.reason))));
  }
  remote_receive_maximum_ = connack.packet.properties.receive_maximum.value_or(0);
  remote_maximum_packet_size_ = connack.packet.properties.maximum_packet_size.value_or(0);
  remote_maximum_qos_ = connack.packet.properties.maximum_qos.value_or(2);
  remote_retain_available_ = connack.packet.properties.retain_available.value_or(1) != 0;
  const uint16_t keepalive_s = connack.packet.properties.server_keep_alive.value_or(config_.keepalive_s);
  if (observer_ != nullptr) observer_->OnLinkUp(connack.packet.session_present, keepalive_s);
  // The filters outlive the encoding below: the packet only views them.
  std::vector<std::string> filters;
  for (const BridgeTopic& topic : topics_.topics()) {
    if (topic.In()) filters.push_back(topic.RemoteFilter());
  }
  if (filters.empty()) {
    OpenLocal(sinks.up);
    return absl::OkStatus();
  }
  SubscribePacket subscribe;
  subscribe.packet_id = kSubscribePacketId;
  size_t i = 0;
  for (const BridgeTopic& topic : topics_.topics()) {
    if (!topic.In()) continue;
    TopicSubscription sub;
    sub.filter = filters[i++];
    sub.options.max_qos = topic.qos;
    sub.options.no_local = true;             // MQTT 5: our own messages do not come back
    sub.options.retain_as_published = true;  // a retained message stays retained across the bridge
    subscribe.subscriptions.push_back(sub);
  }
  scratch_.clear();
  EncodeSubscribe(subscribe, remote_version_, scratch_);
  phase_ = Phase::kAwaitSuback;
  return ToRemote(scratch_, sinks.down);
}

void BridgeLink::OpenLocal(std::string& up) {
  ConnectPacket connect;
  connect.version = ProtocolVersion::kV5;
  connect.clean_start = false;
  connect.keep_alive = 0;  // the link is watched by its pings to the remote
  connect.client_id = config_.local_client_id;
  connect.properties.session_expiry_interval = kSessionNeverExpires;
  connect.properties.receive_maximum = remote_receive_maximum_ != 0 ? remote_receive_maximum_ : config_.max_inflight;
  if (remote_maximum_packet_size_ != 0) connect.properties.maximum_packet_size = remote_maximum_packet_size_;
  EncodeConnect(connect, up);
  UnsubscribeDropped(up);
  std::vector<std::string> filters;
  SubscribePacket subscribe;
  subscribe.packet_id = kSubscribePacketId;
  for (const BridgeTopic& topic : topics_.topics()) {
    if (topic.Out()) filters.push_back(topic.LocalFilter());
  }
  size_t i = 0;
  for (const BridgeTopic& topic : topics_.topics()) {
    if (!topic.Out()) continue;
    TopicSubscription sub;
    sub.filter = filters[i++];
    // A remote that takes less than QoS 2 (MQTT 5 Maximum QoS; AWS IoT, for one) would close the link
    // on a higher one: the local subscription asks no more, so the shard downgrades for it.
    sub.options.max_qos = std::min(topic.qos, remote_maximum_qos_);
    sub.options.no_local = true;             // what came in from the remote does not go back out
    sub.options.retain_as_published = true;
    sub.options.retain_handling = 1;         // retained messages once, not again at every reconnect
    subscribe.subscriptions.push_back(sub);
  }
  if (!subscribe.subscriptions.empty()) EncodeSubscribe(subscribe, ProtocolVersion::kV5, up);
  phase_ = Phase::kOpen;
}

void BridgeLink::UnsubscribeDropped(std::string& up) const {
  if (previous_ == nullptr) return;
  std::vector<std::string> dropped;
  for (const BridgeTopic& old : previous_->topics()) {
    if (!old.Out()) continue;
    const bool kept = std::any_of(topics_.topics().begin(), topics_.topics().end(), [&](const BridgeTopic& topic) {
      return topic.Out() && topic.LocalFilter() == old.LocalFilter();
    });
    if (!kept) dropped.push_back(old.LocalFilter());
  }
  if (dropped.empty()) return;
  UnsubscribePacket unsubscribe;
  unsubscribe.packet_id = kUnsubscribePacketId;
  for (const std::string& filter : dropped) unsubscribe.filters.push_back(filter);
  EncodeUnsubscribe(unsubscribe, ProtocolVersion::kV5, up);
}

absl::Status BridgeLink::OnRemotePublish(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks) {
  Decoded<PublishPacket> publish = DecodeServerPublish(frame, body, remote_version_);
  if (!publish.ok()) return absl::DataLossError(absl::StrCat("bad PUBLISH from the remote: ", AbslView(publish.error.detail)));
  PublishPacket& packet = publish.packet;
  std::optional<std::string> local = topics_.ToLocal(packet.topic);
  if (!local.has_value()) {
    // No `in` line covers it (the remote sent more than was asked): acknowledged and dropped.
    Log(LogLevel::kDebug, "bridge %s: dropping remote topic %s: no `in` topic line covers it", config_.name,
        std::string(packet.topic));
    if (packet.qos == 0) return absl::OkStatus();
    AckPacket ack{packet.qos == 1 ? PacketType::kPuback : PacketType::kPubrec, packet.packet_id};
    scratch_.clear();
    EncodeAck(ack, remote_version_, scratch_);
    return ToRemote(scratch_, sinks.down);
  }
  packet.topic = *local;
  packet.properties = MessageProperties(packet.properties);
  EncodePublish(packet, ProtocolVersion::kV5, sinks.up);
  stats_.Add(stats_.messages_in);
  return absl::OkStatus();
}

absl::Status BridgeLink::Send(std::span<const uint8_t> in, std::string& down) {
  local_in_.append(reinterpret_cast<const char*>(in.data()), in.size());
  return Fail(ForEachPacket(local_in_, [&](const Frame& frame, std::span<const uint8_t> body) {
    return HandleLocal(frame, body, down);
  }));
}

absl::Status BridgeLink::HandleLocal(const Frame& frame, std::span<const uint8_t> body, std::string& down) {
  switch (frame.type) {
    case PacketType::kConnack: {
      Decoded<ConnackPacket> connack = DecodeConnack(frame, body, ProtocolVersion::kV5);
      if (!connack.ok() || connack.packet.reason != ReasonCode::kSuccess) {
        return absl::PermissionDeniedError(absl::StrCat("the local session was refused: ",
                                                        AbslView(ReasonCodeName(connack.packet.reason))));
      }
      return absl::OkStatus();
    }
    case PacketType::kSuback: {
      Decoded<SubackPacket> suback = DecodeSuback(frame, body, ProtocolVersion::kV5);
      for (size_t i = 0; suback.ok() && i < suback.packet.reasons.size(); ++i) {
        if (static_cast<uint8_t>(suback.packet.reasons[i]) >= 0x80) {
          Log(LogLevel::kWarning, "bridge %s: local subscription %d refused: %s", config_.name, i + 1,
              ReasonCodeName(suback.packet.reasons[i]));
        }
      }
      return absl::OkStatus();
    }
    case PacketType::kPublish:
      return OnLocalPublish(frame, body, down);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp: {
      Decoded<AckPacket> ack = DecodeAck(frame, body, ProtocolVersion::kV5);
      if (!ack.ok()) return absl::InternalError(absl::StrCat("bad local acknowledgement: ", AbslView(ack.error.detail)));
      ack.packet.properties = {};
      scratch_.clear();
      EncodeAck(ack.packet, remote_version_, scratch_);
      return ToRemote(scratch_, down);
    }
    case PacketType::kDisconnect: {
      Decoded<DisconnectPacket> disconnect = DecodeDisconnect(frame, body, ProtocolVersion::kV5);
      return absl::UnavailableError(absl::StrCat("the local session ended (", AbslView(ReasonCodeName(disconnect.packet.reason)), ")"));
    }
    default:
      return absl::OkStatus();  // PINGRESP, UNSUBACK: nothing for the remote
  }
}

absl::Status BridgeLink::OnLocalPublish(const Frame& frame, std::span<const uint8_t> body, std::string& down) {
  Decoded<PublishPacket> publish = DecodeServerPublish(frame, body, ProtocolVersion::kV5);
  if (!publish.ok()) return absl::InternalError(absl::StrCat("bad local PUBLISH: ", AbslView(publish.error.detail)));
  PublishPacket& packet = publish.packet;
  // The local subscriptions are the `out` filters themselves, so a delivery always maps.
  std::optional<std::string> remote = topics_.ToRemote(packet.topic);
  if (!remote.has_value() && previous_ != nullptr) remote = previous_->ToRemote(packet.topic);
  if (!remote.has_value()) return absl::InternalError(absl::StrCat("no `out` line covers ", AbslView(packet.topic)));
  packet.topic = *remote;
  packet.properties = remote_version_ == ProtocolVersion::kV5 ? MessageProperties(packet.properties) : Properties{};
  if (!remote_retain_available_) packet.retain = false;  // MQTT 5 Retain Available 0: a retained PUBLISH is an error
  scratch_.clear();
  EncodePublish(packet, remote_version_, scratch_);
  stats_.Add(stats_.messages_out);
  return ToRemote(scratch_, down);
}

void BridgeLink::Close(std::string& down) {
  if (phase_ == Phase::kOpen) {
    scratch_.clear();
    EncodeDisconnect(DisconnectPacket{}, remote_version_, scratch_);
    (void)ToRemote(scratch_, down);
  }
  if (tls_ != nullptr) tls_->Close(down);
}

}  // namespace ringmq
