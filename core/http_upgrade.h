// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): judges a client's HTTP/1.1
// upgrade request head and writes the HTTP response to it, 101 Switching Protocols or the error that
// says what was wrong.
//
// Subprotocol (MQTT 5.0 section 6, [MQTT-6.0.0-3/4]): `mqtt` when offered, else `mqttv3.1` (what
// MQTT.js and Paho send for MQTT 3.1). A request offering no subprotocol at all is still accepted,
// with none echoed, as mosquitto does: such clients exist, and a browser that offered one and got
// none back fails the connection itself. A request offering only other subprotocols is refused
// (400), so the client hears why instead of a 101 it must drop.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ringmq {

// Largest request head the broker reads by default: browsers send well under 2 KiB (cookies of the
// page's site included), and a bound keeps a client from making the broker buffer an endless head.
inline constexpr size_t kMaxUpgradeHeadBytes = 8192;

struct WebSocketUpgradeOptions {
  std::string_view path;                        // the request target's path (query string aside)
  std::span<const std::string> allowed_origins;  // empty = any; else the Origin must be one of them
};

enum class UpgradeStatus : uint8_t {
  kAccepted,            // 101 Switching Protocols
  kMalformed,           // 400: not a WebSocket upgrade request as RFC 6455 section 4.1 writes it
  kOriginForbidden,     // 403: a browser page from an origin not allowed
  kNotFound,            // 404: another path
  kUnsupportedVersion,  // 426: Sec-WebSocket-Version is not 13 (the response names 13)
  kHeadTooLarge,        // 431: no end of the head within the bound
};

struct UpgradeAnswer {
  UpgradeStatus status = UpgradeStatus::kMalformed;
  std::string response;     // the whole HTTP response head to send
  std::string subprotocol;  // the one chosen (accepted only), empty when the client offered none
  std::string reason;       // why it was refused, for one log line (client text escaped)
};

// Where the request head in `received` ends (the offset just past its blank line), or nullopt while
// it has not. The search starts at `search_from` (minus the 3 bytes a blank line may straddle), so a
// head arriving in pieces is scanned once in all.
std::optional<size_t> FindRequestHeadEnd(std::string_view received, size_t search_from = 0);

// False once `received` cannot become an upgrade request: it does not start "GET /" (an MQTT client
// on a WebSocket port, say), so it is refused at once instead of at the size bound or the timeout.
bool StartsLikeUpgradeRequest(std::string_view received);

// Judges a whole request head (as FindRequestHeadEnd delimits it).
UpgradeAnswer AnswerWebSocketUpgrade(std::string_view head, const WebSocketUpgradeOptions& options);

// The answer to a head that did not end within kMaxUpgradeHeadBytes (431).
UpgradeAnswer HeadTooLargeAnswer();

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)).
std::string WebSocketAcceptFor(std::string_view key);

// The HTTP status code of a status (101, 400, ...).
int HttpStatusCodeOf(UpgradeStatus status);

}  // namespace ringmq
