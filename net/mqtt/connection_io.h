// ConnectionIo: what the MQTT protocol component (net/mqtt/mqtt_protocol.h) asks of the connection
// layer under it. The shard loop (net/shard.cc) implements it over io_uring sockets and their
// transports; tests/net/mqtt fakes it in memory, so the protocol handling runs without a socket.
//
// The protocol only ever sees MQTT bytes: what a transport (TLS, WebSocket, PROXY header) does with
// them happens below this interface.
//
// Thread ownership: the shard thread's, as is the protocol component that calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "net/connection.h"
#include "net/shard_mesh.h"

namespace ringmq {

// The loop calls MqttProtocol::OnTick this often; both sides' deadline wheels turn at this step.
inline constexpr int64_t kLoopTickMs = 250;
// A connection with a complete packet this recent is one that is sending (not an idle one).
inline constexpr int64_t kRecentInputMs = 1000;

class ConnectionIo {
 public:
  virtual ~ConnectionIo() = default;

  // The connection's buffers, allocated on first use: MQTT output is appended to `out` (and large
  // payloads to `queue`); unparsed input is kept in `inbound`.
  virtual IoBuffers& Buffers(Connection* conn) = 0;
  // Gives the buffers back once they hold nothing (an idle connection owns none).
  virtual void ReleaseBuffersIfIdle(Connection* conn) = 0;
  // The output written since the last loop turn goes out at the end of this one.
  virtual void MarkForFlush(Connection* conn) = 0;
  // Closes the connection once its last output is out (the protocol has written its last packet).
  virtual void Close(Connection* conn, std::string_view why) = 0;
  // The connections of this shard, open or closing. A handler that kept a connection's address
  // across loop turns checks it is still here (and its serial) before touching it.
  virtual const absl::flat_hash_set<Connection*>& connections() const = 0;

  // Input backpressure: stop delivering the connection's input (what already arrived is handed to
  // the protocol, which keeps it unparsed), and deliver it again.
  virtual void StopReading(Connection* conn) = 0;
  virtual void ResumeReading(Connection* conn) = 0;
  // Reads now what the peer sent that the loop has not delivered yet (bounded): a DISCONNECT sent
  // just before a takeover must be seen before the new connection takes the session.
  virtual void ConsumeArrivedInput(Connection* conn) = 0;

  // The CONNECT belongs to shard conn->handoff_to: the socket, its transports and every byte from
  // the CONNECT on go there. The connection is gone from this shard afterwards.
  virtual void HandOff(Connection* conn, std::span<const uint8_t> from_connect) = 0;
  // A connection another shard handed over (its CONNECT is in `handoff->received`).
  virtual void AdoptHandedOff(std::unique_ptr<HandoffEnvelope> handoff) = 0;

  // The connection's deadline changed (it is connected now, with its keep-alive): the loop's timer
  // follows it. WatchIncompletePacket: keep-alive 0, a packet began arriving and must complete
  // within --incomplete_packet_timeout.
  virtual void ScheduleDeadline(Connection* conn) = 0;
  virtual void WatchIncompletePacket(Connection* conn) = 0;

  // --tls_identity_as_username: the name the transport proved (a client certificate's CN) that
  // replaces the CONNECT's username; nullopt: keep it; an error: the listener wants one and the
  // client presented none.
  virtual absl::StatusOr<std::optional<std::string>> TransportIdentity(const Connection* conn) const = 0;
  // " from ADDRESS:PORT" when a PROXY header named the client, for log lines; empty otherwise.
  virtual std::string PeerText(const Connection* conn) const = 0;
};

}  // namespace ringmq
