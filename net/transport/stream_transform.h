// A connection's transport layer between its socket and MQTT: a PROXY protocol header, TLS, or
// WebSocket framing. Plain TCP connections have none (nothing allocated, nothing called). Transforms
// stack bottom (socket side) to top (MQTT side): PROXY, then TLS, then WebSocket; net/transport/
// transform_chain.h composes them.
//
// A transform is pure in the sense that matters to the shard: no syscalls. Bytes come in from below
// and go up; bytes come down from above and go to the wire. The shard loop sees only byte streams.
//
// Thread ownership: owned by the connection's shard. It travels with a CONNECT handoff to the home
// shard (moved between turns, never used by two threads at once); the handshake (TLS) or upgrade
// (WebSocket) is always complete by then, because a CONNECT can only be read through an established
// stream.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ringmq {

// Where a call's results go: `up` takes bytes for the layer above (toward MQTT), `down` takes bytes
// that must go to the wire (toward the socket). Both are appended to, never cleared: the caller owns
// the buffers and reuses them, so a steady stream allocates nothing per call.
struct TransformSinks {
  std::string& up;
  std::string& down;
};

// The client's address as a PROXY protocol header told it (the balancer's own address is the socket's).
struct ProxiedPeer {
  std::string address;  // numeric IPv4 or IPv6 text, as logs show it
  uint16_t port = 0;
  std::array<uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d, the form net/connection_limits.h counts
};

class StreamTransform {
 public:
  virtual ~StreamTransform() = default;

  // Bytes from below. Decoded bytes are appended to sinks.up; bytes that must be sent back at once
  // (TLS handshake records, an HTTP 101 or 404, a WebSocket pong or close) to sinks.down. An error
  // means the connection must close: its message says why in a form fit for one log line; anything
  // already in sinks.down (a TLS alert, an HTTP error, a WebSocket close frame) should still be sent.
  virtual absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) = 0;

  // Bytes from above (MQTT packets, in stream order) to send: their wire form is appended to `down`.
  // Called only once established(); may be called with pieces of one packet.
  virtual absl::Status Send(std::span<const uint8_t> in, std::string& down) = 0;

  // The stream is ending from our side: appends its closing form (TLS close_notify, WebSocket close
  // frame) to `down`, if it has one.
  virtual void Close(std::string& down) { (void)down; }

  // True once MQTT bytes flow (TLS handshake done, WebSocket upgraded, PROXY header read). Before
  // that, the connection's --connect_timeout covers the handshake.
  virtual bool established() const = 0;

  // True when the peer ended the stream cleanly at this layer (TLS close_notify, WebSocket close).
  virtual bool peer_closed() const { return false; }

  // What the layer learned about the peer, for logs, limits and --tls_identity_as_username.
  virtual std::optional<ProxiedPeer> proxied_peer() const { return std::nullopt; }
  virtual std::optional<std::string> client_identity() const { return std::nullopt; }  // cert CN

  // For the metrics, asked only while the stream is not yet established: the name of the lowest layer
  // still in its handshake (the one an error came from); empty once established.
  virtual std::string_view pending_layer() const { return established() ? std::string_view() : name(); }
  // TLS only, once its handshake completed: whether the session was resumed (SSL_session_reused).
  virtual std::optional<bool> tls_session_resumed() const { return std::nullopt; }

  // The shard is closing the connection, for this reason (a transform that reports it keeps it).
  virtual void NoteClosing(std::string_view why) { (void)why; }

  // The connection went idle: drop buffers that can be re-made (OpenSSL's record buffers).
  virtual void ReleaseIdleBuffers() {}

  // For log lines: "tls", "ws", "proxy".
  virtual std::string_view name() const = 0;
};

}  // namespace ringmq
