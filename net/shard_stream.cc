// The stream layer: connections whose bytes pass through transports (PROXY header, TLS, WebSocket)
// between the socket and MQTT. Plain TCP connections never reach this file: Connection::has_stream
// is false, and ConsumeWire / StartSend take today's path byte for byte.
//
// Input: the socket's bytes go through the transform's Receive; what it decodes goes to ConsumeInput,
// what it must answer (handshake records, an HTTP 101, a pong) is queued in the stream's `wire`.
// Output: MQTT output (io.out, and the OutputQueue's borrowed payloads read straight from their
// Message) is encoded by Send into `wire` when the send starts, and `wire` goes to the kernel as one
// buffer. The order of `wire` is the order the transform produced bytes in, which TLS requires.
#include <sys/socket.h>
#include <sys/uio.h>

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/bytes.h"
#include "net/log.h"
#include "net/shard.h"

namespace ringmq {
namespace {

constexpr size_t kMaxIov = IOV_MAX;
constexpr size_t kKeptScratchCapacity = 65536;  // a burst's decoded bytes are not pinned for good

}  // namespace

Shard::Stream* Shard::StreamOf(const Connection* conn) const {
  if (!conn->has_stream) return nullptr;
  auto it = streams_.find(const_cast<Connection*>(conn));
  return it == streams_.end() ? nullptr : it->second.get();
}

void Shard::AttachStream(Connection* conn, std::unique_ptr<Stream> stream) {
  const bool has_wire = !stream->wire.empty();
  streams_[conn] = std::move(stream);
  conn->has_stream = true;
  if (has_wire) MarkForFlush(conn);
}

void Shard::ConsumeStream(Connection* conn, std::span<const uint8_t> data) {
  Stream* stream = StreamOf(conn);
  const bool was_established = stream->transform->established();
  std::string up = std::move(stream_up_);
  up.clear();
  const absl::Status status = stream->transform->Receive(data, TransformSinks{up, stream->wire});
  if (!stream->wire.empty()) MarkForFlush(conn);
  if (!was_established) CountHandshakeProgress(*stream, status);
  if (!status.ok()) {
    // One line per connection: its transport failed (a bad handshake, plain MQTT on a TLS port, an
    // unmasked frame); whatever the transform answered (an alert, an HTTP error) still goes out.
    Log(LogLevel::kInfo, "shard %d: %s connection fd %d%s closed: %s", index_, stream->transform->name(), conn->fd,
        PeerText(conn), status.message());
    Close(conn, std::string(status.message()));
  } else if (!was_established && stream->transform->established() && !OnStreamEstablished(conn, *stream)) {
    // refused and closed
  } else if (!up.empty()) {
    protocol_.ConsumeInput(conn, AsBytes(up));  // may hand the connection (and its stream) to another shard
  }
  if (conn->state != Connection::State::kClosing && conn->has_stream && StreamOf(conn)->transform->peer_closed()) {
    Close(conn, "peer closed the stream");
  }
  if (up.capacity() <= kKeptScratchCapacity) stream_up_ = std::move(up);
}

void Shard::CountHandshakeProgress(Stream& stream, const absl::Status& status) {
  if (!stream.tls_handshake_counted) {
    if (const std::optional<bool> resumed = stream.transform->tls_session_resumed()) {
      stream.tls_handshake_counted = true;
      (*resumed ? stats_.tls_handshakes_resumed : stats_.tls_handshakes_full).Add(1);
    }
  }
  if (status.ok()) return;
  // The layers below the failing one are established, so the lowest pending layer is the one that
  // refused (an error after establishment is not a handshake failure and is not counted here).
  const std::string_view failed = stream.transform->pending_layer();
  if (failed == "tls") {
    stream.tls_handshake_counted = true;
    stats_.CountTlsFailure(TlsFailure::kError);
  } else if (failed == "ws") {
    stats_.ws_upgrades_refused.Add(1);
  } else if (failed == "proxy") {
    stats_.proxy_headers_refused.Add(1);
  }
}

void Shard::CountUnfinishedHandshake(Connection* conn, TlsFailure reason) {
  Stream* stream = StreamOf(conn);
  // A broker that is stopping closes handshakes itself: nobody abandoned them.
  if (stream == nullptr || stream->tls_handshake_counted || stopping_) return;
  if (stream->transform->pending_layer() != "tls") return;  // no TLS, or not its turn, or done
  stream->tls_handshake_counted = true;
  stats_.CountTlsFailure(reason);
}

bool Shard::OnStreamEstablished(Connection* conn, Stream& stream) {
  const std::optional<ProxiedPeer> peer = stream.transform->proxied_peer();
  if (peer.has_value()) {
    Log(LogLevel::kDebug, "shard %d: fd %d is %s port %d (PROXY header)", index_, conn->fd, peer->address, peer->port);
  }
  if (!std::exchange(stream.count_proxied_peer, false)) return true;
  // --max_connections_per_ip counts the client the header names; a header without one (LOCAL: the
  // balancer's own health check) counts the socket's peer, the balancer.
  std::optional<PeerAddress> counted = peer.has_value() ? std::optional<PeerAddress>(peer->bytes)
                                                        : PeerAddressOfSocket(conn->fd);
  if (!counted.has_value() || protocol_.limits().max_connections_per_ip == 0) return true;  // 0: turned off by SIGHUP
  if (!shared_.per_ip->TryAdd(*counted, protocol_.limits().max_connections_per_ip)) {
    stats_.refused_per_ip.Add(1);
    Log(LogLevel::kInfo, "shard %d: refusing %s: --max_connections_per_ip=%d reached", index_,
        peer.has_value() ? peer->address : std::string("a client"), protocol_.limits().max_connections_per_ip);
    Close(conn, "--max_connections_per_ip reached by its PROXY peer");
    return false;
  }
  counted_peers_.emplace(conn, *counted);
  return true;
}

void Shard::StartStreamSend(Connection* conn) {
  if (conn->send_in_flight || conn->fd < 0) return;
  Stream* stream = StreamOf(conn);
  // Closing: FinishStream has encoded the last output already, and nothing more is written.
  if (conn->io != nullptr && conn->state != Connection::State::kClosing && stream->transform->established()) {
    if (absl::Status status = EncodeStreamOutput(conn, *stream); !status.ok()) {
      Log(LogLevel::kInfo, "shard %d: %s connection fd %d%s: cannot send: %s", index_, stream->transform->name(),
          conn->fd, PeerText(conn), status.message());
      conn->io->out.clear();
      conn->io->queue.Clear();
      Close(conn, std::string(status.message()));
    }
  }
  if (stream->wire.empty()) return;
  IoBuffers& io = Buffers(conn);
  std::swap(stream->wire, io.sending);  // `sending` is empty while no send is in flight
  io.sending_offset = 0;
  ring_->PrepSend(conn->fd, io.sending.data(), io.sending.size(), conn);
  conn->send_in_flight = true;
  ++conn->ops_in_flight;
}

absl::Status Shard::EncodeStreamOutput(Connection* conn, Stream& stream) {
  IoBuffers& io = *conn->io;
  if (io.queue.empty()) {
    if (io.out.empty()) return absl::OkStatus();
    absl::Status status = stream.transform->Send(AsBytes(io.out), stream.wire);
    io.out.clear();
    return status;
  }
  // Borrowed payloads are read from their Message: encryption or framing writes the only copy.
  io.queue.Append(std::exchange(io.out, std::string()));
  while (!io.queue.empty()) {
    const OutputQueue::Gathered gathered = io.queue.Gather(kMaxIov);
    for (size_t i = 0; i < gathered.message->msg_iovlen; ++i) {
      const iovec& piece = gathered.message->msg_iov[i];
      const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(piece.iov_base), piece.iov_len);
      if (absl::Status status = stream.transform->Send(bytes, stream.wire); !status.ok()) return status;
    }
    io.queue.Consume(gathered.bytes);
  }
  return absl::OkStatus();
}

void Shard::FinishStream(Connection* conn) {
  Stream* stream = StreamOf(conn);
  if (stream == nullptr) return;
  if (stream->transform->established() && conn->io != nullptr) {
    if (!EncodeStreamOutput(conn, *stream).ok()) {
      conn->io->out.clear();
      conn->io->queue.Clear();
    }
  }
  stream->transform->Close(stream->wire);
  if (!stream->wire.empty()) MarkForFlush(conn);
}

absl::StatusOr<std::optional<std::string>> Shard::TransportIdentity(const Connection* conn) const {
  if (!config_.transport.tls_identity_as_username) return std::nullopt;
  const Stream* stream = StreamOf(conn);
  if (stream == nullptr || conn->bridge || !config_.listen[stream->listener].tls()) {
    return std::nullopt;  // no client certificate here
  }
  std::optional<std::string> identity = stream->transform->client_identity();
  if (!identity.has_value()) {
    return absl::PermissionDeniedError("--tls_identity_as_username: the client certificate names no identity");
  }
  return identity;
}

std::string Shard::PeerText(const Connection* conn) const {
  const Stream* stream = StreamOf(conn);
  if (stream == nullptr) return "";
  const std::optional<ProxiedPeer> peer = stream->transform->proxied_peer();
  if (!peer.has_value()) return "";
  const bool v6 = peer->address.find(':') != std::string::npos;
  return absl::StrCat(" from ", v6 ? "[" : "", peer->address, v6 ? "]:" : ":", peer->port);
}

}  // namespace ringmq
