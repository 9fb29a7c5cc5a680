#include "net/transport/transport_factory.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/log.h"
#include "net/runtime_limits.h"
#include "net/transport/proxy_transform.h"
#include "net/transport/tls_context.h"
#include "net/transport/tls_transform.h"
#include "net/transport/transform_chain.h"
#include "net/transport/websocket_transform.h"

namespace ringmq {
namespace {

using LayerMaker = std::function<std::unique_ptr<StreamTransform>()>;

// The TLS context every TLS listener shares, loaded on first need.
class TlsLayers {
 public:
  explicit TlsLayers(const TransportConfig& config) : config_(config) {}

  absl::StatusOr<LayerMaker> Maker(const ListenUrl& url) {
    if (config_.tls_cert_file.empty() || config_.tls_key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--listen ", url.ToString(),
                                                     " needs a certificate: give --tls_cert_file and --tls_key_file"));
    }
    if (holder_ == nullptr) {
      TlsOptions options;
      options.cert_file = config_.tls_cert_file;
      options.key_file = config_.tls_key_file;
      options.ca_file = config_.tls_ca_file;
      options.require_client_cert = config_.tls_require_client_cert;
      options.min_version = config_.tls_min_version;
      options.ciphers = config_.tls_ciphers;
      options.ciphersuites = config_.tls_ciphersuites;
      options.ticket_key_file = config_.tls_ticket_key_file;
      options.session_lifetime_s = config_.tls_session_lifetime_s;
      absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(options);
      if (!context.ok()) return context.status();
      Log(LogLevel::kInfo, "TLS: %s", (*context)->description());
      Log(LogLevel::kInfo, "TLS: %s", (*context)->kernel_tls_description());
      holder_ = std::make_shared<TlsContextHolder>(*std::move(context));
    }
    // A connection keeps the context it started from; a reload changes what later ones get.
    return LayerMaker([holder = holder_] { return NewTlsTransform(holder->Current()); });
  }

  std::shared_ptr<TlsContextHolder> holder() const { return holder_; }

 private:
  const TransportConfig& config_;
  std::shared_ptr<TlsContextHolder> holder_;
};

LayerMaker ProxyMaker() {
  return [] { return NewProxyProtocolTransform(); };
}

LayerMaker WebSocketMaker(const ListenUrl& url, const BrokerConfig& config, const RuntimeLimitsStore* limits) {
  WebSocketOptions options;
  options.path = url.path;
  options.allowed_origins = config.transport.ws_allowed_origins;
  options.max_message_size = config.max_packet_size;  // clients send one MQTT packet per message
  if (limits == nullptr) return [options] { return NewWebSocketTransform(options); };
  return [options, limits]() mutable {
    options.max_message_size = limits->max_packet_size();  // lock-free: read at every accept
    return NewWebSocketTransform(options);
  };
}

TransformFactory Stack(std::vector<LayerMaker> makers) {
  if (makers.empty()) return nullptr;
  if (makers.size() == 1) return std::move(makers.front());  // no chain around a single layer
  return [makers = std::move(makers)]() -> std::unique_ptr<StreamTransform> {
    auto chain = std::make_unique<TransformChain>();
    for (const LayerMaker& make : makers) {
      if (!chain->Add(make()).ok()) return nullptr;  // unreachable: at most three makers
    }
    return chain;
  };
}

}  // namespace

absl::StatusOr<ListenerTransports> MakeListenerTransports(const BrokerConfig& config,
                                                          const RuntimeLimitsStore* limits) {
  ListenerTransports transports;
  TlsLayers tls(config.transport);
  for (const ListenUrl& url : config.listen) {
    std::vector<LayerMaker> makers;
    if (url.proxy_protocol) makers.push_back(ProxyMaker());
    if (url.tls()) {
      absl::StatusOr<LayerMaker> layer = tls.Maker(url);
      if (!layer.ok()) return layer.status();
      makers.push_back(*std::move(layer));
    }
    if (url.websocket()) makers.push_back(WebSocketMaker(url, config, limits));
    transports.factories.push_back(Stack(std::move(makers)));
  }
  transports.tls = tls.holder();
  return transports;
}

std::string DescribeListener(const ListenUrl& url) {
  std::string layers;
  if (url.proxy_protocol) layers = "proxy";
  if (url.tls()) absl::StrAppend(&layers, layers.empty() ? "" : "+", "tls");
  if (url.websocket()) absl::StrAppend(&layers, layers.empty() ? "" : "+", "ws");
  return absl::StrCat(url.ToString(), " (", layers.empty() ? "plain TCP" : layers, ")");
}

}  // namespace ringmq
