#include "tools/bench/client_session.h"

#include <algorithm>

#include "core/decoder.h"
#include "core/encoder.h"

namespace ringmq::bench {
namespace {

SessionEvent ProtocolError(std::string_view detail) {
  return {.kind = SessionEventKind::kProtocolError, .detail = detail};
}

}  // namespace

uint16_t ClientSession::NextPacketId() {
  last_packet_id_ = static_cast<uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
  return last_packet_id_;
}

void ClientSession::AppendConnect(std::string& out) const {
  ConnectPacket connect;
  connect.version = settings_.version;
  connect.clean_start = settings_.clean_start;
  connect.keep_alive = settings_.keepalive_s;
  connect.client_id = settings_.client_id;
  connect.username = settings_.username;
  connect.password = settings_.password;
  if (IsV5(settings_.version) && !settings_.clean_start) {
    // MQTT 5 ends the session with the connection unless told otherwise; keep it like 3.1.1 does.
    connect.properties.session_expiry_interval = UINT32_MAX;
  }
  EncodeConnect(connect, out);
}

void ClientSession::AppendSubscribe(std::string_view filter, std::string& out) {
  SubscribePacket subscribe;
  subscribe.packet_id = NextPacketId();
  subscribe.subscriptions.push_back({.filter = filter, .options = {.max_qos = settings_.qos}});
  EncodeSubscribe(subscribe, settings_.version, out);
}

void ClientSession::AppendPublish(std::string_view topic, std::string_view payload, std::string& out) {
  PublishPacket& publish = publish_scratch_;
  publish.qos = settings_.qos;
  publish.retain = settings_.retain;
  publish.topic = topic;
  publish.payload = payload;
  if (settings_.qos > 0) {
    publish.packet_id = NextPacketId();
    ++inflight_;
  }
  EncodePublish(publish, settings_.version, out);
}

void ClientSession::AppendPing(std::string& out) const { EncodePingreq(out); }

void ClientSession::AppendDisconnect(std::string& out) const {
  EncodeDisconnect(DisconnectPacket{}, settings_.version, out);
}

void ClientSession::AppendAck(PacketType type, uint16_t packet_id, std::string& out) const {
  AckPacket ack;
  ack.type = type;
  ack.packet_id = packet_id;
  EncodeAck(ack, settings_.version, out);
}

uint32_t ClientSession::PublishRoom() const {
  if (settings_.qos == 0) return UINT32_MAX;
  const uint32_t limit = std::min(settings_.inflight_limit, broker_receive_maximum_);
  return inflight_ >= limit ? 0 : limit - inflight_;
}

SessionEvent ClientSession::HandlePacket(const Frame& frame, std::span<const uint8_t> body, std::string& out) {
  switch (frame.type) {
    case PacketType::kConnack:
      return HandleConnack(frame, body);
    case PacketType::kSuback:
      return HandleSuback(frame, body);
    case PacketType::kPublish:
      return HandlePublish(frame, body, out);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return HandleAck(frame, body, out);
    case PacketType::kPingresp:
      return {};
    case PacketType::kDisconnect: {
      Decoded<DisconnectPacket> disconnect = DecodeDisconnect(frame, body, settings_.version);
      return {.kind = SessionEventKind::kRefused,
              .detail = disconnect.ok() ? ReasonCodeName(disconnect.packet.reason) : "DISCONNECT"};
    }
    default:
      return ProtocolError("unexpected packet type from the broker");
  }
}

SessionEvent ClientSession::HandleConnack(const Frame& frame, std::span<const uint8_t> body) {
  Decoded<ConnackPacket> connack = DecodeConnack(frame, body, settings_.version);
  if (!connack.ok()) return ProtocolError(connack.error.detail);
  if (connack.packet.reason != ReasonCode::kSuccess) {
    return {.kind = SessionEventKind::kRefused, .detail = ReasonCodeName(connack.packet.reason)};
  }
  if (connack.packet.properties.receive_maximum.has_value()) {
    broker_receive_maximum_ = *connack.packet.properties.receive_maximum;
  }
  return {.kind = SessionEventKind::kConnected};
}

SessionEvent ClientSession::HandleSuback(const Frame& frame, std::span<const uint8_t> body) {
  Decoded<SubackPacket> suback = DecodeSuback(frame, body, settings_.version);
  if (!suback.ok()) return ProtocolError(suback.error.detail);
  for (ReasonCode reason : suback.packet.reasons) {
    if (IsError(reason)) return {.kind = SessionEventKind::kRefused, .detail = ReasonCodeName(reason)};
  }
  return {.kind = SessionEventKind::kSubscribed};
}

SessionEvent ClientSession::HandlePublish(const Frame& frame, std::span<const uint8_t> body, std::string& out) {
  Decoded<PublishPacket> publish = DecodePublish(frame, body, settings_.version);
  if (!publish.ok()) return ProtocolError(publish.error.detail);
  // Delivered on PUBLISH (QoS 2 "method A"): the benchmark never reconnects, so the broker has no
  // reason to resend and a repeat is a duplicate worth counting.
  if (publish.packet.qos == 1) AppendAck(PacketType::kPuback, publish.packet.packet_id, out);
  if (publish.packet.qos == 2) AppendAck(PacketType::kPubrec, publish.packet.packet_id, out);
  return {.kind = SessionEventKind::kMessage, .payload = publish.packet.payload};
}

SessionEvent ClientSession::HandleAck(const Frame& frame, std::span<const uint8_t> body, std::string& out) {
  Decoded<AckPacket> ack = DecodeAck(frame, body, settings_.version);
  if (!ack.ok()) return ProtocolError(ack.error.detail);
  const bool failed = IsError(ack.packet.reason);
  switch (frame.type) {
    case PacketType::kPubrel:  // the broker's half of a QoS 2 delivery to us
      AppendAck(PacketType::kPubcomp, ack.packet.packet_id, out);
      return {};
    case PacketType::kPubrec:
      if (failed) break;  // MQTT 5: the exchange ends at a failed PUBREC
      AppendAck(PacketType::kPubrel, ack.packet.packet_id, out);
      return {};
    default:
      break;
  }
  if (inflight_ == 0) return ProtocolError("acknowledgement without a publish in flight");
  --inflight_;
  return {.kind = SessionEventKind::kPublishCompleted, .failed = failed};
}

}  // namespace ringmq::bench
