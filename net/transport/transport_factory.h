// Per listener, what makes an accepted connection's transports: nothing for a plain mqtt:// listener
// (no transform, no call on the data path), otherwise [PROXY if ?proxy_protocol=1] + [TLS if mqtts or
// wss] + [WebSocket if ws or wss], bottom to top, in a TransformChain when there is more than one.
//
// Thread ownership: built by the main thread before the shards start; the factories are then called by
// every shard thread at accept (they only read immutable shared state: the TLS context, the options).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "net/broker_config.h"
#include "net/transport/stream_transform.h"

namespace ringmq {

// Empty (false) for plain TCP.
using TransformFactory = std::function<std::unique_ptr<StreamTransform>()>;

class TlsContextHolder;
class RuntimeLimitsStore;

struct ListenerTransports {
  std::vector<TransformFactory> factories;  // per listener of BrokerConfig::listen, in its order
  // The TLS context every TLS listener's connections start from; null without TLS listeners.
  // SIGHUP reloads it (certificate and key) for new connections; existing ones keep theirs.
  std::shared_ptr<TlsContextHolder> tls;
};

// Loads the TLS context once when a listener needs it; a TLS listener without a certificate, or
// one OpenSSL cannot load, is a start-up error.
// `limits`, when given, supplies the WebSocket message cap (--max_packet_size) of each new connection,
// so a SIGHUP change reaches WebSocket listeners too; it must outlive the factories.
absl::StatusOr<ListenerTransports> MakeListenerTransports(const BrokerConfig& config,
                                                          const RuntimeLimitsStore* limits = nullptr);

// How each listener is announced at start-up: "mqtts://0.0.0.0:8883 (tls)".
std::string DescribeListener(const ListenUrl& url);

}  // namespace ringmq
