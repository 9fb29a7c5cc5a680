// Broker-wide settings, filled from the command-line flags once at start-up and read-only after.
// Thread ownership: immutable once the shards start; every shard holds a const reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringmq {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 address, without brackets
  uint16_t port = 1883;
  std::string ToString() const;  // host:port, IPv6 in brackets
};

struct BrokerConfig {
  std::vector<ListenAddress> listen;
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

  // MQTT 5 capabilities and limits (announced in CONNACK; see net/server_capabilities.h).
  uint8_t max_qos = 2;                   // highest QoS accepted on PUBLISH and granted on SUBSCRIBE
  bool retain_available = true;          // false: a retained PUBLISH is refused (0x9A)
  bool wildcard_subscriptions = true;    // false: filters with '+' or '#' are refused (0xA2)
  bool subscription_identifiers = true;  // false: SUBSCRIBE with an identifier is refused (0xA1)
  uint16_t max_topic_alias = 64;         // Topic Alias Maximum, both directions; 0 = no aliases
  uint16_t max_keep_alive = 65535;       // Server Keep Alive cap in seconds; 65535 = no cap
  std::string response_information_prefix;  // Response Information = prefix + client id; empty = none
  std::string auth_challenge_secret;     // enables the RINGMQ-CHALLENGE AUTH method; empty = off
};

}  // namespace ringmq
