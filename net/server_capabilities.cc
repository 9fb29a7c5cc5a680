#include "net/server_capabilities.h"

#include <algorithm>

namespace ringmq {

uint16_t AnnouncedReceiveMaximum(const BrokerConfig& config) {
  return static_cast<uint16_t>(std::clamp<uint32_t>(config.max_inflight, 1, 65535));
}

void AddCapabilityProperties(const BrokerConfig& config, Properties& props) {
  AddCapabilityProperties(config, config.max_packet_size, props);
}

void AddCapabilityProperties(const BrokerConfig& config, uint32_t max_packet_size, Properties& props) {
  props.receive_maximum = AnnouncedReceiveMaximum(config);
  // Absent means QoS 2; the specification allows only 0 or 1 here.
  if (config.max_qos < 2) props.maximum_qos = config.max_qos;
  props.retain_available = config.retain_available ? 1 : 0;
  props.maximum_packet_size = max_packet_size;
  if (config.max_topic_alias > 0) props.topic_alias_maximum = config.max_topic_alias;
  props.wildcard_subscription_available = config.wildcard_subscriptions ? 1 : 0;
  props.subscription_identifier_available = config.subscription_identifiers ? 1 : 0;
  props.shared_subscription_available = SharedSubscriptionsAvailable() ? 1 : 0;
}

}  // namespace ringmq
