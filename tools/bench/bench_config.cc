#include "tools/bench/bench_config.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/bench/payload_stamp.h"

namespace ringmq::bench {
namespace {

constexpr std::array<std::pair<std::string_view, Scenario>, 6> kScenarioNames = {{
    {"pairs", Scenario::kPairs},
    {"fanin", Scenario::kFanin},
    {"fanout", Scenario::kFanout},
    {"conn", Scenario::kConn},
    {"pub", Scenario::kPub},
    {"sub", Scenario::kSub},
}};

constexpr std::array<std::pair<std::string_view, Transport>, 4> kTransportNames = {{
    {"tcp", Transport::kTcp},
    {"tls", Transport::kTls},
    {"ws", Transport::kWs},
    {"wss", Transport::kWss},
}};

absl::Status Invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

// Subscriber threads hold only subscribers, --threads only publishers: both need some.
absl::Status ValidateSubscriberThreads(const BenchConfig& config) {
  if (config.subscriber_threads == 0) return absl::OkStatus();
  if (config.subscriber_threads > 256) return Invalid("--subscriber_threads must be in 0..256");
  uint32_t publishers = config.clients;
  uint32_t subscribers = config.clients;
  switch (config.scenario) {
    case Scenario::kPairs:
      break;
    case Scenario::kFanin:
      subscribers = 1;
      break;
    case Scenario::kFanout:
      publishers = 1;
      break;
    case Scenario::kConn:
    case Scenario::kPub:
    case Scenario::kSub:
      return Invalid("--subscriber_threads needs publishers and subscribers (pairs, fanin, fanout)");
  }
  if (config.threads > publishers) return Invalid("--threads exceeds the number of publishers");
  if (config.subscriber_threads > subscribers) {
    return Invalid("--subscriber_threads exceeds the number of subscribers");
  }
  return absl::OkStatus();
}

absl::Status ValidateTransport(const BenchConfig& config) {
  const bool tls = UsesTls(config.transport);
  if (!tls && (!config.tls_ca_file.empty() || !config.tls_cert_file.empty() || !config.tls_key_file.empty() ||
               config.tls_session_resumption)) {
    return Invalid("--tls_* flags need --transport tls or wss");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return Invalid("--tls_cert_file and --tls_key_file go together");
  }
  if (config.ws_path.empty() || config.ws_path[0] != '/' ||
      config.ws_path.find_first_of(" \r\n") != std::string::npos) {
    return Invalid("--ws_path must start with '/' and hold no spaces or line breaks");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(std::string_view name) {
  for (const auto& [text, scenario] : kScenarioNames) {
    if (text == name) return scenario;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scenario '", std::string(name), "' (pairs, fanin, fanout, conn, pub, sub)"));
}

std::string_view ScenarioName(Scenario scenario) {
  for (const auto& [text, value] : kScenarioNames) {
    if (value == scenario) return text;
  }
  return "?";
}

absl::StatusOr<Transport> ParseTransport(std::string_view name) {
  for (const auto& [text, transport] : kTransportNames) {
    if (text == name) return transport;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown transport '", std::string(name), "' (tcp, tls, ws, wss)"));
}

std::string_view TransportName(Transport transport) {
  for (const auto& [text, value] : kTransportNames) {
    if (value == transport) return text;
  }
  return "?";
}

uint32_t ConnectionCount(const BenchConfig& config) {
  switch (config.scenario) {
    case Scenario::kPairs:
      return 2 * config.clients;
    case Scenario::kFanin:
    case Scenario::kFanout:
      return config.clients + 1;
    case Scenario::kConn:
    case Scenario::kPub:
    case Scenario::kSub:
      return config.clients;
  }
  return config.clients;
}

absl::Status Validate(const BenchConfig& config) {
  if (config.clients == 0) return Invalid("--clients must be at least 1");
  if (config.threads == 0 || config.threads > 256) return Invalid("--threads must be in 1..256");
  if (config.threads > ConnectionCount(config)) return Invalid("--threads exceeds the number of connections");
  if (absl::Status subscriber_threads = ValidateSubscriberThreads(config); !subscriber_threads.ok()) {
    return subscriber_threads;
  }
  if (absl::Status transport = ValidateTransport(config); !transport.ok()) return transport;
  if (config.qos > 2) return Invalid("--qos must be 0, 1 or 2");
  if (config.size < kPayloadStampSize) {
    return Invalid(absl::StrCat("--size must be at least ", kPayloadStampSize,
                                " bytes (timestamp, publisher index and sequence number)"));
  }
  if (config.size > 256 * 1024 * 1024) return Invalid("--size is larger than MQTT allows");
  if (config.qos > 0 && (config.inflight == 0 || config.inflight > 65535)) {
    return Invalid("--inflight must be in 1..65535 for QoS 1/2");
  }
  if (config.publisher_send_buffer > (1u << 30)) return Invalid("--publisher_send_buffer must be at most 1 GiB");
  if (config.rate < 0 || config.connect_rate < 0) return Invalid("rates cannot be negative");
  if (config.connect_concurrency == 0) return Invalid("--connect_concurrency must be at least 1");
  if (config.duration <= absl::ZeroDuration()) return Invalid("--duration must be positive");
  if (config.warmup < absl::ZeroDuration() || config.drain < absl::ZeroDuration()) {
    return Invalid("--warmup and --drain cannot be negative");
  }
  if (config.password.has_value() && !config.username.has_value() && config.protocol != ProtocolVersion::kV5) {
    return Invalid("MQTT 3.1.1 needs --username when --password is given");
  }
  if (config.e2e_window > 0 && (config.scenario == Scenario::kPub || config.scenario == Scenario::kSub)) {
    return Invalid("--e2e_window needs publishers and subscribers in this process (pairs, fanin, fanout)");
  }
  return absl::OkStatus();
}

}  // namespace ringmq::bench
