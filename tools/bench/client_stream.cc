#include "tools/bench/client_stream.h"

#include "absl/strings/str_cat.h"
#include "tools/bench/bench_config.h"
#include "tools/bench/tls_client_stream.h"
#include "tools/bench/ws_client_stream.h"

namespace ringmq::bench {
namespace {

// WebSocket over TLS: the WebSocket layer's wire bytes are the TLS layer's application bytes.
class WsOverTlsStream final : public ClientStream {
 public:
  WsOverTlsStream(TlsClientContext& tls, std::string_view host_header, std::string_view path)
      : tls_(tls), ws_(host_header, path) {}

  absl::Status Start(std::string& wire_out) override {
    if (absl::Status status = tls_.Start(wire_out); !status.ok()) return status;
    ws_wire_.clear();
    if (absl::Status status = ws_.Start(ws_wire_); !status.ok()) return status;
    return tls_.Send(ws_wire_, wire_out);  // held by TLS until its handshake is done
  }

  absl::Status Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) override {
    tls_plain_.clear();
    if (absl::Status status = tls_.Receive(wire, tls_plain_, wire_out); !status.ok()) return status;
    if (tls_plain_.empty()) return absl::OkStatus();
    ws_wire_.clear();
    const std::span<const uint8_t> plain(reinterpret_cast<const uint8_t*>(tls_plain_.data()), tls_plain_.size());
    if (absl::Status status = ws_.Receive(plain, app_in, ws_wire_); !status.ok()) return status;
    return ws_wire_.empty() ? absl::OkStatus() : tls_.Send(ws_wire_, wire_out);
  }

  absl::Status Send(std::string_view app, std::string& wire_out) override {
    ws_wire_.clear();
    if (absl::Status status = ws_.Send(app, ws_wire_); !status.ok()) return status;
    return ws_wire_.empty() ? absl::OkStatus() : tls_.Send(ws_wire_, wire_out);
  }

  bool established() const override { return tls_.established() && ws_.established(); }
  TlsHandshake tls_handshake() const override { return tls_.tls_handshake(); }

 private:
  TlsClientStream tls_;
  WsClientStream ws_;
  std::string tls_plain_;  // scratch: what TLS decrypted, for the WebSocket layer
  std::string ws_wire_;    // scratch: what the WebSocket layer wrote, for TLS to encrypt
};

std::string HostHeader(const BenchConfig& config) {
  const bool ipv6 = config.host.find(':') != std::string::npos;
  return ipv6 ? absl::StrCat("[", config.host, "]:", config.port) : absl::StrCat(config.host, ":", config.port);
}

}  // namespace

std::unique_ptr<ClientStream> NewClientStream(const BenchConfig& config, TlsClientContext* tls) {
  switch (config.transport) {
    case Transport::kTcp:
      return nullptr;
    case Transport::kTls:
      return std::make_unique<TlsClientStream>(*tls);
    case Transport::kWs:
      return std::make_unique<WsClientStream>(HostHeader(config), config.ws_path);
    case Transport::kWss:
      return std::make_unique<WsOverTlsStream>(*tls, HostHeader(config), config.ws_path);
  }
  return nullptr;
}

}  // namespace ringmq::bench
