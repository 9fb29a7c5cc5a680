// The configuration of bridges to other brokers, read from the --bridge_file: mosquitto's bridge
// syntax (`connection`, `address`, `topic pattern direction qos local-prefix remote-prefix`, ...),
// because that is what operators moving from mosquitto already have. Pure: text in, structs out.
//
// Thread ownership: parsed by the main thread (start-up, SIGHUP); immutable once published (see
// net/bridge/bridge_registry.h) and read by the shard each bridge lives on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringmq {

enum class BridgeDirection : uint8_t { kOut, kIn, kBoth };

// One `topic` line. Local topics are local_prefix + pattern, remote ones remote_prefix + pattern.
struct BridgeTopic {
  std::string pattern;  // a topic filter; empty when a prefix alone names the topic
  BridgeDirection direction = BridgeDirection::kOut;
  uint8_t qos = 0;
  std::string local_prefix;
  std::string remote_prefix;

  std::string LocalFilter() const { return local_prefix + pattern; }
  std::string RemoteFilter() const { return remote_prefix + pattern; }
  bool Out() const { return direction != BridgeDirection::kIn; }
  bool In() const { return direction != BridgeDirection::kOut; }
  bool operator==(const BridgeTopic&) const = default;
};

struct BridgeConfig {
  std::string name;  // `connection NAME`
  std::string host;
  uint16_t port = 1883;
  bool mqtt5 = false;  // `bridge_protocol_version mqttv50`; mosquitto's default is mqttv311
  std::string remote_client_id;  // default "ringmq-bridge.NAME" (`remote_clientid`)
  std::string local_client_id;   // the local session's id; default "$bridge/NAME" (`local_clientid`)
  std::optional<std::string> username;  // `remote_username`
  std::optional<std::string> password;  // `remote_password`
  // `cleansession`: the remote session only. The local session always persists, so that messages for
  // the remote wait (within --max_queued_messages/_bytes) while the remote is unreachable.
  bool clean_session = false;
  uint16_t keepalive_s = 60;  // `keepalive_interval`
  // `restart_timeout BASE [CAP]` in seconds: the first retry waits BASE, each failed attempt doubles
  // the wait up to CAP (mosquitto 2.0's defaults: 5 and 30; with one value the wait is constant).
  uint32_t retry_base_ms = 5000;
  uint32_t retry_cap_ms = 30000;
  // `try_private`: MQTT 3.1.1 CONNECT with protocol level 0x84 (mosquitto's bridge bit), so that the
  // remote does not send our own messages back.
  bool try_private = true;
  // TLS when ca_file is set (`bridge_cafile`): the remote's certificate must chain to it and name
  // `host` (SNI too), unless `bridge_insecure true` skips the name check.
  std::string ca_file;
  std::string cert_file;  // `bridge_certfile`, with `bridge_keyfile`: a client certificate
  std::string key_file;
  bool insecure = false;
  // The local session's receive maximum when the remote does not say its own (MQTT 3.1.1): how many
  // QoS 1/2 messages may be on their way to the remote at once (`max_inflight_messages`).
  uint16_t max_inflight = 20;
  std::vector<BridgeTopic> topics;

  bool tls() const { return !ca_file.empty(); }
  bool operator==(const BridgeConfig&) const = default;
};

// Parses a bridge file. Errors name the line number and what is wrong, e.g.
// "line 7: topic: qos must be 0, 1 or 2, not 3".
absl::StatusOr<std::vector<BridgeConfig>> ParseBridgeFile(std::string_view text);

}  // namespace ringmq
