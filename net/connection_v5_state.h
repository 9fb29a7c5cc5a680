// The MQTT 5 state of a connection that only some connections need: topic aliases in both directions,
// an authentication exchange in progress, the client's wish for no problem information. Allocated
// the first time a connection needs any of it, so the ordinary connection stays one small struct.
//
// Thread ownership: owned by its Connection, on the connection's shard.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/authenticator.h"
#include "core/frame.h"
#include "core/topic_alias.h"

namespace ringmq {

struct ConnectionV5State {
  std::optional<InboundTopicAliases> inbound_aliases;
  std::optional<OutboundTopicAliases> outbound_aliases;

  // Enhanced authentication: the method named in CONNECT (re-authentication must use the same).
  std::string auth_method;
  std::unique_ptr<AuthExchange> auth;  // set while an exchange is in progress
  // The CONNECT waiting for its authentication to finish; decoded again once it succeeds.
  Frame pending_connect_frame;
  std::string pending_connect_body;
  std::string auth_success_data;  // Authentication Data for the CONNACK
  std::string auth_identity;      // the user the last successful exchange proved (AuthStep::identity)

  // Request Problem Information 0: no reason string or user properties except on PUBLISH, CONNACK
  // and DISCONNECT.
  bool problem_information = true;
};

}  // namespace ringmq
