#include "net/bridge/bridge_config.h"

#include <charconv>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "core/text.h"
#include "core/topic.h"

namespace ringmq {
namespace {

// Blank-separated words; `""` stands for an empty word (mosquitto's way to write an empty prefix).
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (true) {
    const size_t start = line.find_first_not_of(kBlanks, at);
    if (start == std::string_view::npos) return words;
    const size_t end = std::min(line.find_first_of(kBlanks, start), line.size());
    std::string_view word = line.substr(start, end - start);
    words.push_back(word == "\"\"" ? std::string_view() : word);
    at = end;
  }
}

template <class Number>
std::optional<Number> ParseNumber(std::string_view text, Number min, Number max) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return static_cast<Number>(value);
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

class Parser {
 public:
  absl::StatusOr<std::vector<BridgeConfig>> Parse(std::string_view text) {
    const std::vector<std::string_view> lines = SplitText(text, '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
      line_ = i + 1;
      const std::string_view line = TrimBlanks(lines[i]);
      if (line.empty() || line.front() == '#') continue;
      const std::vector<std::string_view> words = Words(line);
      if (absl::Status status = Apply(words); !status.ok()) return status;
    }
    if (absl::Status status = FinishCurrent(); !status.ok()) return status;
    return std::move(bridges_);
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", AbslView(what)));
  }

  absl::Status Apply(const std::vector<std::string_view>& words) {
    const std::string_view key = words[0];
    const size_t values = words.size() - 1;
    if (key == "connection") {
      if (values != 1 || words[1].empty()) return Error("connection takes one name");
      if (absl::Status status = FinishCurrent(); !status.ok()) return status;
      if (!names_.insert(std::string(words[1])).second) return Error(absl::StrCat("bridge ", AbslView(words[1]), " is defined twice"));
      current_ = BridgeConfig{};
      current_->name = std::string(words[1]);
      started_line_ = line_;
      return absl::OkStatus();
    }
    if (!current_.has_value()) return Error(absl::StrCat(AbslView(key), " before the first `connection` line"));
    BridgeConfig& bridge = *current_;
    if (key == "topic") return ApplyTopic(words, bridge);
    if (values != 1 && !(key == "restart_timeout" && values == 2)) {
      return Error(absl::StrCat(AbslView(key), " takes one value"));
    }
    const std::string_view value = words[1];
    if (key == "address" || key == "addresses") return ApplyAddress(value, bridge);
    if (key == "bridge_protocol_version") {
      if (value != "mqttv311" && value != "mqttv50") return Error("bridge_protocol_version must be mqttv311 or mqttv50");
      bridge.mqtt5 = value == "mqttv50";
      return absl::OkStatus();
    }
    if (key == "remote_clientid") return SetText(value, bridge.remote_client_id);
    if (key == "local_clientid") return SetText(value, bridge.local_client_id);
    if (key == "remote_username") return SetOptional(value, bridge.username);
    if (key == "remote_password") return SetOptional(value, bridge.password);
    if (key == "bridge_cafile") return SetText(value, bridge.ca_file);
    if (key == "bridge_certfile") return SetText(value, bridge.cert_file);
    if (key == "bridge_keyfile") return SetText(value, bridge.key_file);
    if (key == "cleansession") return SetBool(value, bridge.clean_session);
    if (key == "try_private") return SetBool(value, bridge.try_private);
    if (key == "bridge_insecure") return SetBool(value, bridge.insecure);
    if (key == "keepalive_interval") {
      std::optional<uint16_t> seconds = ParseNumber<uint16_t>(value, 5, 65535);
      if (!seconds.has_value()) return Error("keepalive_interval must be 5 to 65535 seconds");
      bridge.keepalive_s = *seconds;
      return absl::OkStatus();
    }
    if (key == "max_inflight_messages") {
      std::optional<uint16_t> count = ParseNumber<uint16_t>(value, 1, 65535);
      if (!count.has_value()) return Error("max_inflight_messages must be 1 to 65535");
      bridge.max_inflight = *count;
      return absl::OkStatus();
    }
    if (key == "restart_timeout") return ApplyRestart(words, bridge);
    return Error(absl::StrCat("unknown bridge option ", AbslView(key)));
  }

  absl::Status ApplyAddress(std::string_view value, BridgeConfig& bridge) {
    const size_t colon = value.rfind(':');
    std::string_view host = value;
    if (colon != std::string_view::npos && value.find(']') == std::string_view::npos) {
      host = value.substr(0, colon);
      std::optional<uint16_t> port = ParseNumber<uint16_t>(value.substr(colon + 1), 1, 65535);
      if (!port.has_value()) return Error(absl::StrCat("address: bad port in ", AbslView(value)));
      bridge.port = *port;
    }
    if (host.empty()) return Error("address: no host");
    bridge.host = std::string(host);
    return absl::OkStatus();
  }

  absl::Status ApplyRestart(const std::vector<std::string_view>& words, BridgeConfig& bridge) {
    std::optional<uint32_t> base = ParseNumber<uint32_t>(words[1], 1, 86400);
    std::optional<uint32_t> cap = words.size() > 2 ? ParseNumber<uint32_t>(words[2], 1, 86400) : base;
    if (!base.has_value() || !cap.has_value() || *cap < *base) {
      return Error("restart_timeout takes BASE [CAP] seconds, 1 to 86400, CAP >= BASE");
    }
    bridge.retry_base_ms = *base * 1000;
    bridge.retry_cap_ms = *cap * 1000;
    return absl::OkStatus();
  }

  // topic PATTERN [[[DIRECTION] QOS] LOCAL_PREFIX REMOTE_PREFIX]
  absl::Status ApplyTopic(const std::vector<std::string_view>& words, BridgeConfig& bridge) {
    if (words.size() < 2 || words.size() > 6 || words.size() == 5) {
      return Error("topic takes PATTERN [DIRECTION [QOS [LOCAL_PREFIX REMOTE_PREFIX]]]");
    }
    BridgeTopic topic;
    topic.pattern = std::string(words[1]);
    if (words.size() > 2) {
      if (words[2] == "out") {
        topic.direction = BridgeDirection::kOut;
      } else if (words[2] == "in") {
        topic.direction = BridgeDirection::kIn;
      } else if (words[2] == "both") {
        topic.direction = BridgeDirection::kBoth;
      } else {
        return Error(absl::StrCat("topic: direction must be in, out or both, not ", AbslView(words[2])));
      }
    }
    if (words.size() > 3) {
      std::optional<uint8_t> qos = ParseNumber<uint8_t>(words[3], 0, 2);
      if (!qos.has_value()) return Error(absl::StrCat("topic: qos must be 0, 1 or 2, not ", AbslView(words[3])));
      topic.qos = *qos;
    }
    if (words.size() == 6) {
      topic.local_prefix = std::string(words[4]);
      topic.remote_prefix = std::string(words[5]);
    }
    for (const std::string* prefix : {&topic.local_prefix, &topic.remote_prefix}) {
      if (prefix->find_first_of("+#") != std::string::npos) return Error("topic: a prefix may not hold + or #");
    }
    if (topic.pattern.empty() && (topic.local_prefix.empty() || topic.remote_prefix.empty())) {
      return Error("topic: an empty pattern needs both prefixes (they then name the topic)");
    }
    for (const std::string& filter : {topic.LocalFilter(), topic.RemoteFilter()}) {
      if (!IsValidTopicFilter(filter) || IsSharedFilter(filter)) {
        return Error(absl::StrCat("topic: ", filter, " is not a valid topic filter"));
      }
    }
    bridge.topics.push_back(std::move(topic));
    return absl::OkStatus();
  }

  absl::Status SetText(std::string_view value, std::string& field) {
    field = std::string(value);
    return absl::OkStatus();
  }
  absl::Status SetOptional(std::string_view value, std::optional<std::string>& field) {
    field = std::string(value);
    return absl::OkStatus();
  }
  absl::Status SetBool(std::string_view value, bool& field) {
    std::optional<bool> parsed = ParseBool(value);
    if (!parsed.has_value()) return Error("expected true or false");
    field = *parsed;
    return absl::OkStatus();
  }

  // Checks the bridge being read as a whole (what one line cannot tell) and keeps it.
  absl::Status FinishCurrent() {
    if (!current_.has_value()) return absl::OkStatus();
    BridgeConfig& bridge = *current_;
    // Errors about the bridge as a whole name its `connection` line.
    const size_t line = std::exchange(line_, started_line_);
    absl::Cleanup restore = [&] { line_ = line; };
    const std::string named = absl::StrCat("bridge ", bridge.name, ": ");
    if (bridge.host.empty()) return Error(named + "no address");
    if (bridge.topics.empty()) return Error(named + "no topic line");
    if (bridge.password.has_value() && !bridge.username.has_value()) return Error(named + "remote_password without remote_username");
    if (bridge.cert_file.empty() != bridge.key_file.empty()) return Error(named + "bridge_certfile and bridge_keyfile go together");
    if (!bridge.cert_file.empty() && bridge.ca_file.empty()) return Error(named + "a client certificate needs bridge_cafile (TLS)");
    if (bridge.remote_client_id.empty()) bridge.remote_client_id = "ringmq-bridge." + bridge.name;
    if (bridge.local_client_id.empty()) bridge.local_client_id = "$bridge/" + bridge.name;
    if (!local_ids_.insert(bridge.local_client_id).second) return Error(named + "local_clientid used by another bridge");
    bridges_.push_back(std::move(bridge));
    current_.reset();
    return absl::OkStatus();
  }

  size_t line_ = 0;
  size_t started_line_ = 0;
  std::optional<BridgeConfig> current_;
  std::vector<BridgeConfig> bridges_;
  std::set<std::string> names_;
  std::set<std::string> local_ids_;
};

}  // namespace

absl::StatusOr<std::vector<BridgeConfig>> ParseBridgeFile(std::string_view text) { return Parser().Parse(text); }

}  // namespace ringmq
