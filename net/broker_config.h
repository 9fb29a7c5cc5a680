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
  uint32_t recv_buffer_size = 16384;
  uint32_t cross_shard_queue_size = 65536;
  bool pin_threads = true;
};

}  // namespace ringmq
