// MQTT 5 enhanced authentication on a shard (section 4.12): the AUTH exchange that a CONNECT naming an
// authentication method starts before its CONNACK, and re-authentication of a connected client.
// The methods themselves are Authenticators from the shard's registry (net/authenticators.h).
#include "core/encoder.h"
#include "net/bytes.h"
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

bool MqttProtocol::BeginConnectAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body,
                             const ConnectPacket& connect) {
  const std::string_view method = *connect.properties.authentication_method;
  Authenticator* authenticator = authenticators_.Find(method);
  if (authenticator == nullptr) {
    SendConnack(conn, ReasonCode::kBadAuthenticationMethod, false, {});
    Close(conn, "authentication method not offered");
    return false;
  }
  ConnectionV5State& v5 = V5State(conn);
  v5.auth_method.assign(method);
  v5.auth = authenticator->NewExchange();
  // The CONNECT is decoded again once authenticated: its views point into bytes that go away.
  v5.pending_connect_frame = frame;
  v5.pending_connect_body.assign(AsText(body));
  const AuthSubject subject{connect.client_id, connect.username.value_or(std::string_view())};
  return ApplyAuthStep(conn, v5.auth->Start(subject, connect.properties.authentication_data.value_or("")));
}

bool MqttProtocol::OnAuth(Connection* conn, const Frame& frame, std::span<const uint8_t> body) {
  Decoded<AuthPacket> decoded = DecodeAuth(frame, body, conn->version);
  if (!decoded.ok()) {
    FailAuth(conn, decoded.error.reason, decoded.error.detail);
    return false;
  }
  const AuthPacket& auth = decoded.packet;
  if (conn->v5 == nullptr || conn->v5->auth_method.empty()) {
    FailAuth(conn, ReasonCode::kProtocolError, "AUTH without an authentication method");
    return false;
  }
  ConnectionV5State& v5 = *conn->v5;
  if (auth.properties.authentication_method != std::string_view(v5.auth_method)) {
    FailAuth(conn, ReasonCode::kProtocolError, "AUTH with another authentication method than CONNECT");
    return false;
  }
  const std::string_view data = auth.properties.authentication_data.value_or("");
  const bool connected = conn->state == Connection::State::kConnected;
  if (auth.reason == ReasonCode::kContinueAuthentication && v5.auth != nullptr) {
    return ApplyAuthStep(conn, v5.auth->Continue(data));
  }
  if (auth.reason == ReasonCode::kReAuthenticate && connected && v5.auth == nullptr) {
    v5.auth = authenticators_.Find(v5.auth_method)->NewExchange();
    // The same user must prove itself again: a connection does not change hands mid-stream.
    return ApplyAuthStep(conn, v5.auth->Start({conn->session->client_id(), v5.auth_identity}, data));
  }
  FailAuth(conn, ReasonCode::kProtocolError, "AUTH reason code out of sequence");
  return false;
}

bool MqttProtocol::ApplyAuthStep(Connection* conn, AuthStep step) {
  ConnectionV5State& v5 = *conn->v5;
  switch (step.kind) {
    case AuthStep::Kind::kContinue:
      SendAuth(conn, ReasonCode::kContinueAuthentication, step.data);
      return true;
    case AuthStep::Kind::kSuccess:
      v5.auth.reset();
      v5.auth_identity = std::move(step.identity);
      if (conn->state == Connection::State::kConnected) {
        SendAuth(conn, ReasonCode::kSuccess, step.data);
        return true;
      }
      v5.auth_success_data = std::move(step.data);
      return FinishConnectAuth(conn);
    case AuthStep::Kind::kFailure:
      v5.auth.reset();
      FailAuth(conn, step.failure_reason, "authentication failed");
      return false;
  }
  return false;
}

bool MqttProtocol::FinishConnectAuth(Connection* conn) {
  ConnectionV5State& v5 = *conn->v5;
  const std::string body = std::move(v5.pending_connect_body);
  v5.pending_connect_body.clear();
  const Decoded<ConnectPacket> connect = DecodeConnect(
      v5.pending_connect_frame, AsBytes(body));
  EstablishSession(conn, connect.packet);  // decoded successfully once already
  v5.auth_success_data.clear();
  return conn->state == Connection::State::kConnected;
}

void MqttProtocol::FailAuth(Connection* conn, ReasonCode reason, std::string_view why) {
  if (conn->state == Connection::State::kConnected) {
    ProtocolError(conn, reason, why);
    return;
  }
  Log(LogLevel::kWarning, "shard %d: refusing connection (fd %d): %s (%s)", index_, conn->fd, why,
      ReasonCodeName(reason));
  SendConnack(conn, reason, false, {});
  Close(conn, why);
}

bool MqttProtocol::RefuseWithoutAuthMethod(Connection* conn) {
  // MQTT 5 gets 0x8C (Bad authentication method: "not supported or does not match the authentication
  // method currently in use") rather than 0x87: it names what is missing, so a client or its operator
  // knows to configure enhanced authentication, and it reveals nothing about any credentials. 3.1.1
  // has no authentication method to name: 0x05 (Not authorized).
  const ReasonCode reason = IsV5(conn->version) ? ReasonCode::kBadAuthenticationMethod : ReasonCode::kNotAuthorized;
  FailAuth(conn, reason, "no authentication method (--require_enhanced_auth)");
  return false;
}

void MqttProtocol::SendAuth(Connection* conn, ReasonCode reason, std::string_view data) {
  AuthPacket packet;
  packet.reason = reason;
  packet.properties.authentication_method = conn->v5->auth_method;
  if (!data.empty()) packet.properties.authentication_data = data;
  EncodeAuth(packet, Out(conn));
  MarkForFlush(conn);
}

}  // namespace ringmq
