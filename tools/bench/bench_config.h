// BenchConfig: everything one ringmq-bench run is told to do, after flag parsing and validation.
//
// Thread ownership: built on the main thread before the workers start, then read-only everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/packet.h"

namespace ringmq::bench {

enum class Scenario : uint8_t {
  kPairs,   // N publishers, each to its own subscriber
  kFanin,   // N publishers, one wildcard subscriber
  kFanout,  // one publisher, N subscribers
  kConn,    // N idle connections
  kPub,     // N publishers on a topic template
  kSub,     // N subscribers on a filter template
};

absl::StatusOr<Scenario> ParseScenario(std::string_view name);
std::string_view ScenarioName(Scenario scenario);

// What carries MQTT: plain TCP, TLS, WebSocket, or WebSocket over TLS.
enum class Transport : uint8_t { kTcp, kTls, kWs, kWss };

absl::StatusOr<Transport> ParseTransport(std::string_view name);
std::string_view TransportName(Transport transport);
inline bool UsesTls(Transport t) { return t == Transport::kTls || t == Transport::kWss; }

struct BenchConfig {
  Scenario scenario = Scenario::kPairs;
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  ProtocolVersion protocol = ProtocolVersion::kV311;
  Transport transport = Transport::kTcp;
  std::string tls_ca_file;    // empty: the system's CA store
  std::string tls_cert_file;  // client certificate (with tls_key_file), empty: none
  std::string tls_key_file;
  bool tls_session_resumption = false;  // offer the worker's newest session ticket on every connect
  std::string ws_path = "/mqtt";
  std::optional<std::string> username;
  std::optional<std::string> password;

  uint32_t clients = 1;
  uint32_t threads = 1;                // publisher threads (all connections when subscriber_threads is 0)
  uint32_t subscriber_threads = 0;     // extra threads holding only the subscribers; 0 = shared
  double connect_rate = 0;            // connections per second over all threads; 0 = unlimited
  uint32_t connect_concurrency = 32;   // connections being opened at once, per thread
  absl::Duration connect_timeout = absl::Seconds(30);

  uint8_t qos = 0;
  uint32_t size = 64;       // payload bytes, >= kPayloadStampSize
  double rate = 0;          // messages per second per publisher; 0 = unlimited
  uint32_t inflight = 100;  // outstanding PUBACK/PUBCOMP per publisher (QoS 1/2)
  uint32_t publisher_send_buffer = 64 * 1024;  // SO_SNDBUF of publisher sockets; 0 = kernel autotuning
  uint32_t e2e_window = 0;  // messages per publisher not yet received by subscribers; 0 = off
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration drain = absl::Seconds(2);
  bool retain = false;
  bool clean = true;
  uint16_t keepalive = 60;

  std::string topic_prefix = "rmqb";
  std::string topic;  // template for pub/sub; empty = scenario default
  std::string client_id_prefix;

  int broker_pid = 0;  // 0 = do not sample the broker
  bool expect_no_loss = false;
  bool progress = true;
};

// Checks ranges and combinations the workers rely on (payload size, qos, threads <= clients ...).
absl::Status Validate(const BenchConfig& config);

// Number of TCP connections the scenario opens for config.clients.
uint32_t ConnectionCount(const BenchConfig& config);

// Worker threads the run starts: --threads plus --subscriber_threads.
inline uint32_t WorkerCount(const BenchConfig& config) { return config.threads + config.subscriber_threads; }

}  // namespace ringmq::bench
