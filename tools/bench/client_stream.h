// ClientStream: the transport of one ringmq-bench connection between its MQTT bytes and the socket
// (TLS, WebSocket, WebSocket over TLS). Plain TCP has none: the worker sends and parses the MQTT bytes
// directly, so the tcp path pays no virtual call and no copy per message.
//
// A stream does no I/O: the worker hands it what the socket received and sends what it appends to
// `wire_out`. Application bytes given before the stream is established (the MQTT CONNECT, written
// as soon as TCP connects) are held and sent once the handshake is done.
//
// Thread ownership: owned by the worker thread of its connection.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringmq::bench {

struct BenchConfig;
class TlsClientContext;

// What the TLS handshake of a connection was, for the connect figures.
enum class TlsHandshake : uint8_t { kNone, kFull, kResumed };

class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // TCP is connected: appends the opening bytes (ClientHello, HTTP upgrade request).
  virtual absl::Status Start(std::string& wire_out) = 0;
  // Bytes from the broker: appends the decoded application bytes to `app_in` and whatever must go
  // back (handshake messages, pongs, held application bytes once established) to `wire_out`.
  virtual absl::Status Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) = 0;
  // Application bytes to send: appended to `wire_out` encoded, or held until established.
  virtual absl::Status Send(std::string_view app, std::string& wire_out) = 0;
  virtual bool established() const = 0;
  virtual TlsHandshake tls_handshake() const { return TlsHandshake::kNone; }
};

// The stream for config.transport (nullptr for tcp). `tls` is the worker's TLS context (tls and wss).
std::unique_ptr<ClientStream> NewClientStream(const BenchConfig& config, TlsClientContext* tls);

}  // namespace ringmq::bench
