// What the broker offers MQTT 5 clients, decided from the flags in one place: the capability
// properties of every CONNACK (Receive Maximum, Maximum QoS, Retain Available, Maximum Packet Size,
// Topic Alias Maximum, Wildcard / Subscription Identifier / Shared Subscription Available).
//
// Thread ownership: stateless functions over the immutable BrokerConfig; any thread.
#pragma once

#include <cstdint>

#include "core/packet.h"
#include "net/broker_config.h"

namespace ringmq {

// The one switch for $share/{group}/{filter} subscriptions: what CONNACK announces and whether
// SUBSCRIBE accepts them. Turned on together with the shared subscription routing.
constexpr bool SharedSubscriptionsAvailable() { return true; }

// The Receive Maximum the broker announces: how many QoS 2 PUBLISHes a client may have awaiting PUBREL
// at once (QoS 1 is acknowledged at once). More is a protocol violation (DISCONNECT 0x93).
uint16_t AnnouncedReceiveMaximum(const BrokerConfig& config);

// Sets the capability properties on a CONNACK's `props` (leaves the others alone).
void AddCapabilityProperties(const BrokerConfig& config, Properties& props);
// The same with the Maximum Packet Size in force now (--max_packet_size may change on SIGHUP).
void AddCapabilityProperties(const BrokerConfig& config, uint32_t max_packet_size, Properties& props);

}  // namespace ringmq
