// The PROXY protocol layer of a listener behind a load balancer (--listen mqtt://...?proxy_protocol=1):
// reads the balancer's PROXY header (v1 or v2, core/proxy_protocol.h) before anything else, reports
// the client's address it names through proxied_peer(), then passes bytes through unchanged both ways.
// A connection that does not start with a valid header is refused (Receive returns the reason): a
// listener that expects the header must not take a client's own bytes for one, or anyone reaching it
// directly could claim any address. The header must complete within --connect_timeout, which the shard
// enforces while established() is false.
//
// Thread ownership: owned by the connection's shard, like every StreamTransform.
#pragma once

#include <memory>

#include "net/transport/stream_transform.h"

namespace ringmq {

std::unique_ptr<StreamTransform> NewProxyProtocolTransform();

}  // namespace ringmq
