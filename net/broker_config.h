// Broker-wide settings, filled from the command-line flags at start-up and read-only after. The limits
// an operator may change on SIGHUP reach the shards as RuntimeLimits snapshots (net/runtime_limits.h)
// instead: a shard reads those fields there, never here.
// Thread ownership: immutable once the shards start; every shard holds a const reference.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/bridge/bridge_config.h"
#include "net/log.h"

namespace ringmq {

class ScramCredentials;

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 address, without brackets
  uint16_t port = 1883;
  std::string ToString() const;  // host:port, IPv6 in brackets
};

// A --listen URL (parsed in net/transport/listen_url.h): where, and which transports its
// connections stack (bottom to top: PROXY header, TLS, WebSocket).
enum class ListenScheme : uint8_t { kMqtt, kMqtts, kWs, kWss };
struct ListenUrl {
  ListenScheme scheme = ListenScheme::kMqtt;
  ListenAddress address;
  std::string path;             // ws/wss: the HTTP path of the upgrade; empty otherwise
  bool proxy_protocol = false;  // ?proxy_protocol=1: each connection starts with a PROXY v1/v2 header
  bool tls() const { return scheme == ListenScheme::kMqtts || scheme == ListenScheme::kWss; }
  bool websocket() const { return scheme == ListenScheme::kWs || scheme == ListenScheme::kWss; }
  bool plain() const { return scheme == ListenScheme::kMqtt && !proxy_protocol; }
  std::string ToString() const;  // scheme://host:port/path?proxy_protocol=1
};

// The transports' settings (--tls_*, --ws_*), shared by every listener that uses them.
struct TransportConfig {
  std::string tls_cert_file;  // PEM, full chain
  std::string tls_key_file;
  std::string tls_ca_file;    // CA bundle that client certificates are checked against
  bool tls_require_client_cert = false;
  bool tls_identity_as_username = false;  // the client certificate's CN becomes the MQTT username
  std::string tls_min_version = "1.2";
  std::string tls_ciphers;       // TLS 1.2 cipher list, OpenSSL syntax; empty: OpenSSL's default
  std::string tls_ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's default
  std::string tls_ticket_key_file;         // session ticket keys shared across restarts; empty: random
  uint32_t tls_session_lifetime_s = 86400;
  std::vector<std::string> ws_allowed_origins;  // empty: any Origin (or none)
};

// The files of the access policy (net/access_policy.h), re-read on SIGHUP.
struct AccessFiles {
  std::string password_file;  // empty: no passwords are checked
  std::string acl_file;       // empty: no ACL (every topic but reserved ones open to every client)
  // Clients without a username may connect. Unset: allowed unless a password file is given (mosquitto
  // 2's model: once credentials are configured, anonymous access is something the operator turns on).
  std::optional<bool> allow_anonymous;
  // An enhanced-authentication method proves logins too (--scram_file): client ids then belong to them.
  bool enhanced_auth = false;
};

struct BrokerConfig {
  std::vector<ListenUrl> listen;
  TransportConfig transport;
  int shards = 1;
  int64_t max_connections = 100000;
  uint32_t max_packet_size = 1 << 20;
  uint32_t max_inflight = 256;
  uint32_t max_queued_messages = 1000;
  uint64_t max_queued_bytes = 1 << 20;
  uint32_t sys_interval_s = 10;
  uint32_t connect_timeout_s = 10;
  uint32_t recv_buffer_count = 1024;
  uint32_t recv_buffer_size = 8192;
  uint32_t cross_shard_queue_size = 65536;
  bool pin_threads = true;
  uint32_t max_topic_levels = 128;  // deeper topics and filters are refused: matching recurses per level
  // Payloads of at least this many bytes are sent from the shared message, not copied per subscriber;
  // 0 = always copy.
  uint32_t shared_payload_threshold = 4096;
  // A send carrying at least this many borrowed payload bytes is zero-copy (IORING_OP_SENDMSG_ZC);
  // 0 = never (0 as well when the kernel lacks it).
  uint32_t zerocopy_send_threshold = 0;
  // Limits against clients that would make the broker hold without bound; 0 = unlimited.
  uint32_t max_subscriptions_per_client = 10000;  // beyond: SUBACK 0x97 (3.1.1: 0x80)
  uint64_t max_retained_messages = 5000000;      // topics with a retained message, broker-wide
  uint64_t max_retained_bytes = uint64_t{1} << 30;  // their topic + properties + payload bytes

  // Sessions and connections a hostile or careless client could pile up (see README, "Limits").
  static constexpr uint32_t kNoSessionExpiryCap = UINT32_MAX;
  uint32_t max_session_expiry_s = 14 * 24 * 3600;  // cap on any session's expiry; kNoSessionExpiryCap = none
  int64_t max_sessions = 100000;                    // offline sessions kept broker-wide; 0 = unlimited
  uint32_t max_connections_per_ip = 0;              // open connections per client address; 0 = unlimited
  uint32_t max_connect_rate = 0;                    // new connections per second per listener; 0 = unlimited

  // MQTT 5 capabilities and limits (announced in CONNACK; see net/server_capabilities.h).
  uint8_t max_qos = 2;                   // highest QoS accepted on PUBLISH and granted on SUBSCRIBE
  bool retain_available = true;          // false: a retained PUBLISH is refused (0x9A)
  bool wildcard_subscriptions = true;    // false: filters with '+' or '#' are refused (0xA2)
  bool subscription_identifiers = true;  // false: SUBSCRIBE with an identifier is refused (0xA1)
  uint16_t max_topic_alias = 64;         // Topic Alias Maximum, both directions; 0 = no aliases
  uint16_t max_keep_alive = 65535;       // Server Keep Alive cap in seconds; 65535 = no cap
  std::string response_information_prefix;  // Response Information = prefix + client id; empty = none
  AccessFiles access;  // --password_file, --acl_file, --allow_anonymous

  // MQTT 5 enhanced authentication. SCRAM-SHA-256 is offered when credentials were loaded
  // (--scram_file); they are immutable and shared read-only by all shards.
  std::shared_ptr<const ScramCredentials> scram_credentials;
  // A CONNECT without an Authentication Method is refused (5.0: 0x8C, 3.1.1: 0x05).
  bool require_enhanced_auth = false;

  // Input limits against hostile or runaway clients (net/mqtt/input_limits.cc).
  // A client with keep-alive 0 may hold an incomplete packet this long before it is closed.
  uint32_t incomplete_packet_timeout_s = 60;
  uint32_t max_publish_rate = 0;         // PUBLISHes per second per client; 0 = unlimited
  uint64_t max_publish_bytes_rate = 0;   // PUBLISH bytes per second per client; 0 = unlimited
  uint64_t memory_limit = 0;             // process RSS in bytes above which publishers wait; 0 = off

  // Prometheus endpoint (net/metrics_server.h); unset: no endpoint.
  std::optional<ListenAddress> metrics_listen;
  // QoS 1/2 backpressure (net/mqtt/queue_backpressure.cc): a connected subscriber whose queue is full and
  // has acknowledged nothing for this long is handled by slow_subscriber_action; 0 = never.
  enum class SlowSubscriberAction : uint8_t { kDrop, kDisconnect };
  uint32_t slow_subscriber_timeout_s = 10;
  SlowSubscriberAction slow_subscriber_action = SlowSubscriberAction::kDisconnect;

  // Persistence (net/persistence/): --data_dir empty = none. kSync acknowledges a retained QoS 1/2
  // PUBLISH once it is durable; kAsync saves every persistence_flush_ms.
  enum class Persistence : uint8_t { kOff, kAsync, kSync };
  std::string data_dir;
  Persistence persistence = Persistence::kSync;
  uint32_t persistence_flush_ms = 100;

  LogLevel log_level = LogLevel::kInfo;  // applied by main at start-up and on SIGHUP

  // Bridges to other brokers, from --bridge_file (net/bridge/); empty: none.
  std::string bridge_file;
  std::vector<BridgeConfig> bridges;
};

}  // namespace ringmq
