// RunPlan: which connection does what in a scenario - its client id, thread, publish topic,
// subscription filter, publisher index and which publishers it should hear from.
//
// Connections are numbered 0..N-1 and spread round-robin over the threads (connection i runs on
// thread i % threads), so %t in a topic template is that thread's index and %i the client index
// within its role (publisher k, subscriber k). With --subscriber_threads S, subscriber k runs on
// thread threads + k % S instead, a thread holding no publisher.
//
// Thread ownership: built on the main thread, then read-only; each worker reads its own clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/bench_config.h"

namespace ringmq::bench {

inline constexpr uint32_t kNoPublisher = UINT32_MAX;

struct ClientPlan {
  uint32_t connection_index = 0;
  uint32_t thread_index = 0;
  std::string client_id;
  // CONNECT credentials, "{n}" of --username/--password already replaced by connection_index.
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string publish_topic;     // empty: does not publish
  std::string subscribe_filter;  // empty: does not subscribe
  uint32_t publisher_index = kNoPublisher;
  // Publishers of this process the subscriber must receive every message of: [begin, end).
  // Empty when they are unknown (the sub scenario, publishers in another process).
  uint32_t expected_publishers_begin = 0;
  uint32_t expected_publishers_end = 0;

  bool is_publisher() const { return publisher_index != kNoPublisher; }
  bool is_subscriber() const { return !subscribe_filter.empty(); }
};

struct RunPlan {
  std::vector<ClientPlan> clients;  // indexed by connection index
  uint32_t publisher_count = 0;
  // How many subscribers receive each message of a publisher of this process: pairs and fanin 1,
  // fanout N; 0 when no subscriber of this process listens (pub, conn).
  uint32_t receivers_per_publisher = 0;
  uint32_t subscriber_count = 0;
};

absl::StatusOr<RunPlan> BuildRunPlan(const BenchConfig& config);

}  // namespace ringmq::bench
