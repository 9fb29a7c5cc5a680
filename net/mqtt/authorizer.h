// Authorizer: the protocol component's extension point for "may this session do that?", beside the
// Authenticator (core/authenticator.h) that decides who a client is. The protocol asks it on every
// PUBLISH (and will), every SUBSCRIBE filter, and, for sessions whose subscriptions it granted only
// in part, every delivery. The built-in one is the mosquitto-format ACL file with its reserved $
// topics (net/access_control.h); another (a policy service's cache, say) plugs in through
// MqttProtocol's constructor.
//
// Thread ownership: one per shard, called only by that shard's thread; a session passed in is that
// shard's, and its login was recorded by the shard's AccessControl.
#pragma once

#include <string_view>

#include "core/acl.h"
#include "core/session.h"

namespace ringmq {

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // PUBLISH and wills: false refuses it (MQTT 5: 0x87 Not authorized), and it is not routed.
  virtual bool MayPublish(const Session& session, std::string_view topic) = 0;
  // One SUBSCRIBE filter (the inner filter of a shared subscription). kDenied refuses it in the
  // SUBACK; kCheckEachMessage grants it and asks MayReceive for each message it delivers.
  virtual SubscribeVerdict ClassifySubscription(const Session& session, std::string_view filter) = 0;
  // At delivery: false when the session may not read the topic (the message is skipped for it).
  virtual bool MayReceive(const Session& session, std::string_view topic) = 0;
};

}  // namespace ringmq
