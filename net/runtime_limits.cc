#include "net/runtime_limits.h"

#include <algorithm>
#include <array>

namespace ringmq {

RuntimeLimits RuntimeLimits::From(const BrokerConfig& config, uint64_t generation) {
  RuntimeLimits limits;
  limits.max_connections = config.max_connections;
  limits.max_connections_per_ip = config.max_connections_per_ip;
  limits.max_connect_rate = config.max_connect_rate;
  limits.max_queued_messages = config.max_queued_messages;
  limits.max_queued_bytes = config.max_queued_bytes;
  limits.max_publish_rate = config.max_publish_rate;
  limits.max_publish_bytes_rate = config.max_publish_bytes_rate;
  limits.memory_limit = config.memory_limit;
  limits.max_packet_size = config.max_packet_size;
  limits.max_keep_alive = config.max_keep_alive;
  limits.max_session_expiry_s = config.max_session_expiry_s;
  limits.max_sessions = config.max_sessions;
  limits.max_subscriptions_per_client = config.max_subscriptions_per_client;
  limits.max_retained_messages = config.max_retained_messages;
  limits.max_retained_bytes = config.max_retained_bytes;
  limits.slow_subscriber_timeout_s = config.slow_subscriber_timeout_s;
  limits.slow_subscriber_action = config.slow_subscriber_action;
  limits.incomplete_packet_timeout_s = config.incomplete_packet_timeout_s;
  limits.sys_interval_s = config.sys_interval_s;
  limits.generation = generation;
  return limits;
}

bool IsReloadableFlag(std::string_view name) {
  static constexpr std::array<std::string_view, 24> kReloadable = {
      "max_connections",         "max_connections_per_ip",   "max_connect_rate",
      "max_queued_messages",     "max_queued_bytes",         "max_publish_rate",
      "max_publish_bytes_rate",  "memory_limit",             "max_packet_size",
      "max_keep_alive",          "max_session_expiry",       "max_sessions",
      "max_subscriptions_per_client", "max_retained_messages", "max_retained_bytes",
      "slow_subscriber_timeout", "slow_subscriber_action",   "incomplete_packet_timeout",
      "sys_interval",            "log_level",                "password_file",
      "acl_file",                "allow_anonymous",          "bridge_file",
  };
  return std::find(kReloadable.begin(), kReloadable.end(), name) != kReloadable.end();
}

ShardLimits::ShardLimits(const RuntimeLimitsStore* store, const BrokerConfig& config)
    : fixed_(store != nullptr ? nullptr
                              : std::make_unique<RuntimeLimitsStore>(
                                    std::make_shared<const RuntimeLimits>(RuntimeLimits::From(config, 1)))),
      store_(store != nullptr ? *store : *fixed_),
      current_(store_.Current()),
      older_max_packet_size_(current_->max_packet_size) {}

bool ShardLimits::Refresh(uint32_t next_serial) {
  if (store_.generation() == current_->generation) return false;
  current_ = store_.Current();
  new_terms_from_serial_ = next_serial;
  older_max_packet_size_ = std::max(older_max_packet_size_, current_->max_packet_size);
  return true;
}

}  // namespace ringmq
