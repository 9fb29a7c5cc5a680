// MQTT over WebSocket (RFC 6455, MQTT 5.0 section 6) as a StreamTransform: the connection's first
// bytes are an HTTP upgrade request, answered with 101 (or an HTTP error, and the connection ends);
// from then on every binary frame's payload is MQTT bytes, passed up as they arrive whatever the frame
// boundaries, and every Send becomes one binary frame. Pings are answered with pongs, a close with a
// close; text frames (1003), unmasked or otherwise malformed frames (1002) and messages above
// max_message_size (1009) end the connection with a close frame saying so.
//
// Thread ownership: see net/transport/stream_transform.h (the connection's shard).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "net/transport/stream_transform.h"

namespace ringmq {

struct WebSocketOptions {
  std::string path = "/mqtt";  // the request path the listener serves; any other gets 404
  std::vector<std::string> allowed_origins;  // empty = any; else a browser's Origin must be one (403)
  // Largest WebSocket message (all its frames together). Clients send one MQTT packet per message
  // (MQTT.js, Paho, browsers), so the listener's wiring sets this to --max_packet_size; the default is
  // that flag's default.
  size_t max_message_size = 1 << 20;
};

std::unique_ptr<StreamTransform> NewWebSocketTransform(const WebSocketOptions& options);

}  // namespace ringmq
