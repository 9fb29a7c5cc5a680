// --listen URLs: "host:port" and "mqtt://host:port" (plain TCP), "mqtts://host:port" (TLS),
// "ws://host:port/path" and "wss://host:port/path" (WebSocket, over TLS for wss), IPv6 as
// "[::1]:port", each optionally with "?proxy_protocol=1" (a PROXY v1/v2 header starts every
// connection, as HAProxy and cloud load balancers send it).
// Thread ownership: pure functions, used by the main thread at start-up.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "net/broker_config.h"

namespace ringmq {

// The path a ws:// or wss:// URL without one gets: what MQTT.js, Paho JS and mosquitto's docs use.
inline constexpr std::string_view kDefaultWebSocketPath = "/mqtt";

absl::StatusOr<ListenUrl> ParseListenUrl(std::string_view text);
std::string_view SchemeName(ListenScheme scheme);

}  // namespace ringmq
