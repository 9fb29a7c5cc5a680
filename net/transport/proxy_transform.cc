#include "net/transport/proxy_transform.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/proxy_protocol.h"

namespace ringmq {
namespace {

class ProxyProtocolTransform final : public StreamTransform {
 public:
  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    if (established_) {
      sinks.up.append(reinterpret_cast<const char*>(in.data()), in.size());
      return absl::OkStatus();
    }
    if (!refusal_.ok()) return refusal_;
    // The whole header usually comes in the connection's first read: parse it in place, and copy
    // bytes only when it arrives in pieces.
    std::span<const uint8_t> received = in;
    if (!partial_header_.empty()) {
      partial_header_.append(reinterpret_cast<const char*>(in.data()), in.size());
      received = {reinterpret_cast<const uint8_t*>(partial_header_.data()), partial_header_.size()};
    }
    ProxyParseResult parsed = ParseProxyHeader(received);
    switch (parsed.status) {
      case ProxyParseStatus::kNeedMore:
        if (partial_header_.empty()) partial_header_.assign(reinterpret_cast<const char*>(in.data()), in.size());
        return absl::OkStatus();
      case ProxyParseStatus::kInvalid:
        refusal_ = absl::InvalidArgumentError(absl::StrCat("PROXY protocol header refused: ", parsed.reason));
        partial_header_ = std::string();
        return refusal_;
      case ProxyParseStatus::kComplete:
        break;
    }
    Establish(parsed.header);
    const std::span<const uint8_t> rest = received.subspan(parsed.header_size);
    sinks.up.append(reinterpret_cast<const char*>(rest.data()), rest.size());
    partial_header_ = std::string();  // frees it: the header is never needed again
    return absl::OkStatus();
  }

  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    down.append(reinterpret_cast<const char*>(in.data()), in.size());
    return absl::OkStatus();
  }

  bool established() const override { return established_; }
  std::optional<ProxiedPeer> proxied_peer() const override { return peer_; }
  std::string_view name() const override { return "proxy"; }

 private:
  void Establish(const ProxyHeader& header) {
    established_ = true;
    if (!header.addresses.has_value()) return;  // LOCAL, UNKNOWN: the socket's address stands
    const ProxyEndpoint& client = header.addresses->source;
    peer_ = ProxiedPeer{ProxyAddressText(client.address), client.port, client.address};
  }

  bool established_ = false;
  absl::Status refusal_;          // set once the bytes can never be a header
  std::string partial_header_;    // a header arriving in pieces; empty once established
  std::optional<ProxiedPeer> peer_;
};

}  // namespace

std::unique_ptr<StreamTransform> NewProxyProtocolTransform() { return std::make_unique<ProxyProtocolTransform>(); }

}  // namespace ringmq
