#include "net/transport/transform_chain.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

absl::Status TransformChain::Add(std::unique_ptr<StreamTransform> layer) {
  if (size_ == kMaxLayers) return absl::FailedPreconditionError("a stream stacks at most three transports");
  absl::StrAppend(&name_, name_.empty() ? "" : "+", std::string(layer->name()));
  layers_[size_++] = std::move(layer);
  return absl::OkStatus();
}

absl::Status TransformChain::Receive(std::span<const uint8_t> in, TransformSinks sinks) {
  std::span<const uint8_t> data = in;
  for (size_t i = 0; i < size_ && !data.empty(); ++i) {
    const bool top = i + 1 == size_;
    std::string& up = top ? sinks.up : up_[i];
    if (!top) up.clear();
    reply_.clear();
    absl::Status status = layers_[i]->Receive(data, TransformSinks{up, reply_});
    // Sent even on error: a TLS alert or an HTTP error tells the peer why.
    if (!reply_.empty()) {
      std::string reply = std::exchange(reply_, std::string());
      absl::Status encoded = EncodeBelow(i, Bytes(reply), sinks.down);
      reply_ = std::move(reply);
      if (!encoded.ok() && status.ok()) status = encoded;
    }
    if (!status.ok()) return status;
    if (top) break;
    data = Bytes(up);
  }
  return absl::OkStatus();
}

absl::Status TransformChain::Send(std::span<const uint8_t> in, std::string& down) {
  return EncodeBelow(size_, in, down);
}

absl::Status TransformChain::EncodeBelow(size_t from, std::span<const uint8_t> bytes, std::string& wire) {
  if (from == 0) {
    wire.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return absl::OkStatus();
  }
  // Layer from-1 writes into one buffer, the layer below it reads that and writes the other; the
  // bottom layer writes to the wire directly.
  std::span<const uint8_t> data = bytes;
  size_t buffer = 0;
  for (size_t i = from; i-- > 0;) {
    std::string& out = i == 0 ? wire : encode_[buffer];
    if (i != 0) out.clear();
    if (absl::Status status = layers_[i]->Send(data, out); !status.ok()) return status;
    if (i == 0) break;
    data = Bytes(out);
    buffer ^= 1;
  }
  return absl::OkStatus();
}

void TransformChain::Close(std::string& down) {
  // Top first: a WebSocket close frame still goes out inside TLS, then TLS says close_notify.
  std::string closing;
  for (size_t i = size_; i-- > 0;) {
    closing.clear();
    layers_[i]->Close(closing);
    if (closing.empty()) continue;
    if (!EstablishedBelow(i)) continue;  // the layers below could not carry it
    (void)EncodeBelow(i, Bytes(closing), down);  // best effort: the connection ends either way
  }
}

bool TransformChain::established() const { return EstablishedBelow(size_); }

bool TransformChain::EstablishedBelow(size_t layer) const {
  for (size_t i = 0; i < layer; ++i) {
    if (!layers_[i]->established()) return false;
  }
  return true;
}

bool TransformChain::peer_closed() const {
  for (size_t i = 0; i < size_; ++i) {
    if (layers_[i]->peer_closed()) return true;
  }
  return false;
}

std::optional<ProxiedPeer> TransformChain::proxied_peer() const {
  for (size_t i = 0; i < size_; ++i) {
    if (std::optional<ProxiedPeer> peer = layers_[i]->proxied_peer()) return peer;
  }
  return std::nullopt;
}

std::string_view TransformChain::pending_layer() const {
  for (size_t i = 0; i < size_; ++i) {
    if (!layers_[i]->established()) return layers_[i]->pending_layer();
  }
  return {};
}

std::optional<bool> TransformChain::tls_session_resumed() const {
  for (size_t i = 0; i < size_; ++i) {
    if (std::optional<bool> resumed = layers_[i]->tls_session_resumed()) return resumed;
  }
  return std::nullopt;
}

std::optional<std::string> TransformChain::client_identity() const {
  for (size_t i = 0; i < size_; ++i) {
    if (std::optional<std::string> identity = layers_[i]->client_identity()) return identity;
  }
  return std::nullopt;
}

void TransformChain::ReleaseIdleBuffers() {
  for (size_t i = 0; i < size_; ++i) layers_[i]->ReleaseIdleBuffers();
  for (std::string& buffer : up_) std::string().swap(buffer);
  std::string().swap(reply_);
  for (std::string& buffer : encode_) std::string().swap(buffer);
}

}  // namespace ringmq
