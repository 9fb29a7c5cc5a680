// The enhanced-authentication methods a shard offers MQTT 5 clients (core/authenticator.h). This is
// where an authentication module is plugged in: add its Authenticator to the registry built here.
//
// Thread ownership: each shard builds and owns its own registry; nothing is shared between shards.
#pragma once

#include "core/authenticator.h"
#include "net/broker_config.h"

namespace ringmq {

// The methods the flags enable; empty by default (a CONNECT naming a method then gets CONNACK 0x8C).
AuthenticatorRegistry BuiltInAuthenticators(const BrokerConfig& config);

}  // namespace ringmq
