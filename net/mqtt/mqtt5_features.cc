// MQTT 5 features of a connection on a shard: CONNECT options and the CONNACK answer to them,
// capability checks of incoming PUBLISHes, topic aliases both ways, the client's Maximum Packet Size,
// and request problem information.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/encoder.h"
#include "net/log.h"
#include "net/server_capabilities.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

void SetTopicAlias(PublishPacket& packet, OutboundTopicAliases::Assignment alias) {
  if (alias.alias != 0) packet.properties.topic_alias = alias.alias;
  if (!alias.send_topic) packet.topic = {};
}

// The alias the client already knows for `topic`, if any: without assigning one.
OutboundTopicAliases::Assignment KnownTopicAlias(const Connection* conn, std::string_view topic) {
  if (conn->v5 == nullptr || !conn->v5->outbound_aliases.has_value()) return {};
  const OutboundTopicAliases::Assignment alias = conn->v5->outbound_aliases->Peek(topic);
  return alias.send_topic ? OutboundTopicAliases::Assignment{} : alias;
}

}  // namespace

ConnectionV5State& MqttProtocol::V5State(Connection* conn) {
  if (conn->v5 == nullptr) conn->v5 = std::make_unique<ConnectionV5State>();
  return *conn->v5;
}

bool MqttProtocol::CheckWillCapabilities(Connection* conn, const ConnectPacket& connect) {
  if (!connect.will.has_value()) return true;
  ReasonCode refusal = ReasonCode::kSuccess;
  if (connect.will->qos > config_.max_qos) refusal = ReasonCode::kQosNotSupported;
  if (connect.will->retain && !config_.retain_available) refusal = ReasonCode::kRetainNotSupported;
  if (refusal == ReasonCode::kSuccess) return true;
  SendConnack(conn, refusal, false, {});
  Close(conn, "will exceeds the broker's capabilities");
  return false;
}

void MqttProtocol::ApplyConnectOptions(Connection* conn, const ConnectPacket& connect, Properties& props,
                                std::string& response_information) {
  const Properties& asked = connect.properties;
  const uint16_t cap = config_.max_keep_alive;
  if (cap < 65535 && (connect.keep_alive == 0 || connect.keep_alive > cap)) {
    conn->keep_alive_s = cap;
    props.server_keep_alive = cap;
  }
  conn->topic_alias_maximum_out = std::min(asked.topic_alias_maximum.value_or(0), config_.max_topic_alias);
  if (asked.request_problem_information == 0) V5State(conn).problem_information = false;
  if (asked.request_response_information == 1 && !config_.response_information_prefix.empty()) {
    response_information = absl::StrCat(config_.response_information_prefix, conn->session->client_id());
    props.response_information = response_information;
  }
  if (conn->v5 != nullptr && !conn->v5->auth_method.empty()) {
    props.authentication_method = conn->v5->auth_method;
    if (!conn->v5->auth_success_data.empty()) props.authentication_data = conn->v5->auth_success_data;
  }
}

bool MqttProtocol::CheckPublishCapabilities(Connection* conn, const PublishPacket& publish) {
  if (publish.qos > config_.max_qos) {
    ProtocolError(conn, ReasonCode::kQosNotSupported, "PUBLISH QoS above --max_qos");
    return false;
  }
  if (publish.retain && !config_.retain_available) {
    ProtocolError(conn, ReasonCode::kRetainNotSupported, "retained PUBLISH with --retain_available=false");
    return false;
  }
  // MQTT 3.1.1 has no Receive Maximum, but the same bound holds: each QoS 2 message awaiting PUBREL is
  // state kept for the client. Beyond it the connection closes (as EMQX does), without a reason
  // code in 3.1.1; the client resends the unreleased ones (DUP) when it comes back.
  const Session& session = *conn->session;
  if (publish.qos == 2 && !session.HasInboundQos2(publish.packet_id) &&
      session.inbound_qos2_count() >= AnnouncedReceiveMaximum(config_)) {
    stats_.awaiting_rel_exceeded.Add(1);
    ProtocolError(conn, ReasonCode::kReceiveMaximumExceeded, "more QoS 2 PUBLISHes awaiting PUBREL than Receive Maximum");
    return false;
  }
  return true;
}

bool MqttProtocol::ResolveTopicAlias(Connection* conn, PublishPacket& publish) {
  if (!publish.properties.topic_alias.has_value()) {
    if (!publish.topic.empty()) return true;
    ProtocolError(conn, ReasonCode::kProtocolError, "empty topic without a topic alias");
    return false;
  }
  ConnectionV5State& v5 = V5State(conn);
  if (!v5.inbound_aliases.has_value()) v5.inbound_aliases.emplace(config_.max_topic_alias);
  const InboundTopicAliases::Resolved resolved =
      v5.inbound_aliases->Resolve(publish.topic, *publish.properties.topic_alias);
  if (resolved.error != ReasonCode::kSuccess) {
    ProtocolError(conn, resolved.error,
                  resolved.error == ReasonCode::kTopicAliasInvalid ? "topic alias above --max_topic_alias"
                                                                   : "empty topic with an unknown topic alias");
    return false;
  }
  publish.topic = resolved.topic;
  return true;
}

PublishPacket MqttProtocol::OutboundPublish(const Connection* conn, const Delivery& delivery, uint16_t packet_id,
                                     bool dup) const {
  const Message& message = *delivery.message;
  PublishPacket packet;
  packet.dup = dup;
  packet.qos = delivery.qos;
  packet.retain = delivery.retain;
  packet.topic = message.topic();
  packet.packet_id = packet_id;
  packet.payload = message.payload();
  if (IsV5(conn->version)) {
    packet.properties.subscription_identifiers = delivery.subscription_ids;
    if (message.expiry_deadline_ms() != 0) {
      packet.properties.message_expiry_interval =
          static_cast<uint32_t>(std::max<int64_t>(0, (message.expiry_deadline_ms() - now_ms_) / 1000));
    }
  }
  return packet;
}

bool MqttProtocol::FitsClient(const Connection* conn, const Delivery& delivery) {
  if (conn->max_packet_size_out == 0) return true;
  // Measured as it would travel: without its topic when the client knows an alias for it. A new
  // alias is never the reason a packet does not fit: ApplyTopicAlias leaves it out then.
  PublishPacket packet = OutboundPublish(conn, delivery, delivery.qos > 0 ? 1 : 0, false);
  SetTopicAlias(packet, KnownTopicAlias(conn, packet.topic));
  if (PublishPacketSize(packet, delivery.message->passthrough_properties(), conn->version) <=
      conn->max_packet_size_out) {
    return true;
  }
  stats_.CountDrop(DropReason::kTooLargeForClient);
  Log(LogLevel::kDebug, "shard %d: message on %s dropped for %s: larger than its Maximum Packet Size %d", index_,
      LogText(delivery.message->topic()), conn->session ? LogText(conn->session->client_id()) : std::string("-"),
      conn->max_packet_size_out);
  return false;
}

void MqttProtocol::ApplyTopicAlias(Connection* conn, PublishPacket& packet, std::string_view raw_properties) {
  if (conn->topic_alias_maximum_out == 0) return;
  ConnectionV5State& v5 = V5State(conn);
  if (!v5.outbound_aliases.has_value()) v5.outbound_aliases.emplace(conn->topic_alias_maximum_out);
  OutboundTopicAliases& aliases = *v5.outbound_aliases;
  const OutboundTopicAliases::Assignment alias = aliases.Peek(packet.topic);
  if (alias.alias != 0 && alias.send_topic) {
    if (conn->max_packet_size_out != 0) {
      // A new alias travels with the full topic and costs 3 bytes more.
      PublishPacket with_alias = packet;
      SetTopicAlias(with_alias, alias);
      if (PublishPacketSize(with_alias, raw_properties, conn->version) > conn->max_packet_size_out) return;
    }
    aliases.Assign(packet.topic);
  }
  SetTopicAlias(packet, alias);
}

void MqttProtocol::StripProblemInformation(const Connection* conn, Properties& props, size_t packet_size) const {
  const bool wanted = conn->v5 == nullptr || conn->v5->problem_information;
  const bool fits = conn->max_packet_size_out == 0 || packet_size <= conn->max_packet_size_out;
  if (wanted && fits) return;
  props.reason_string.reset();
  props.user_properties.clear();
}

void MqttProtocol::SendAck(Connection* conn, AckPacket ack) {
  // Sizing the packet walks its properties: skip it for the usual ack that has nothing to strip.
  if (ack.properties.reason_string.has_value() || !ack.properties.user_properties.empty()) {
    StripProblemInformation(conn, ack.properties, AckPacketSize(ack, conn->version));
  }
  EncodeAck(ack, conn->version, Out(conn));
  MarkForFlush(conn);
}

}  // namespace ringmq
