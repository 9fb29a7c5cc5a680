// Access control on a shard: refused PUBLISHes, and switching to a reloaded policy (SIGHUP).
// The checks themselves live in net/access_control.h; this file does what their answers ask of the
// shard (acknowledging without routing, closing revoked logins, unsubscribing revoked filters).
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

void MqttProtocol::RefusePublish(Connection* conn, const PublishPacket& publish) {
  stats_.publishes_denied.Add(1);
  Log(LogLevel::kDebug, "shard %d: client %s may not publish to %s", index_, LogText(conn->session->client_id()),
      LogText(publish.topic));
  if (publish.qos == 0) return;
  // MQTT 3.1.1 has no way to say no: the message is acknowledged and dropped, as mosquitto does. The
  // QoS 2 id is not kept, so the PUBREL that follows is answered as unknown (3.1.1: a plain PUBCOMP).
  AckPacket ack{publish.qos == 1 ? PacketType::kPuback : PacketType::kPubrec, publish.packet_id};
  if (IsV5(conn->version)) ack.reason = ReasonCode::kNotAuthorized;
  SendAck(conn, std::move(ack));
}

void MqttProtocol::ApplyAccessPolicyIfChanged() {
  const AccessPolicyStore& store = *shared_.access_policies;
  if (store.generation() == access_.generation()) return;
  ReloadEffects effects = access_.Reload(store.Current(), sessions_);
  // Filters first: closing a connection may end its session.
  for (const ReloadEffects::RevokedFilter& revoked : effects.filters_revoked) {
    UnsubscribeSession(*revoked.session, revoked.filter, revoked.share_group);
  }
  for (Session* session : effects.logins_revoked) {
    auto* conn = static_cast<Connection*>(session->attachment());
    if (conn == nullptr || conn->state != Connection::State::kConnected) continue;
    SendDisconnect(conn, ReasonCode::kNotAuthorized, "login revoked");
    Close(conn, "user removed from the password file");
  }
  Log(LogLevel::kInfo, "shard %d: access policy %d applied (%d logins closed, %d subscriptions revoked)", index_,
      access_.generation(), effects.logins_revoked.size(), effects.filters_revoked.size());
}

}  // namespace ringmq
