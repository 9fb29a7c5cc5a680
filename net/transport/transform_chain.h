// A connection's transports stacked into one stream: up to three StreamTransforms, bottom (socket side)
// to top (MQTT side), e.g. PROXY, TLS, WebSocket. The chain is itself a StreamTransform, so the shard
// sees one object whatever the listener stacks.
//
// Receive feeds the wire bytes to the bottom layer and each layer's `up` bytes to the next; what a
// layer must send back at once (a TLS handshake record, an HTTP 101, a WebSocket pong) is encoded by
// the layers below it before it reaches the wire, so a WebSocket upgrade answer under wss:// goes out
// encrypted. Send runs top to bottom. Scratch buffers are kept between calls: a steady stream
// allocates nothing per call.
//
// Thread ownership: as StreamTransform (the connection's shard; moves with a CONNECT handoff).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "net/transport/stream_transform.h"

namespace ringmq {

class TransformChain final : public StreamTransform {
 public:
  static constexpr size_t kMaxLayers = 3;

  TransformChain() = default;
  TransformChain(const TransformChain&) = delete;
  TransformChain& operator=(const TransformChain&) = delete;

  // Puts `layer` on top of the layers added before it. Fails past kMaxLayers.
  absl::Status Add(std::unique_ptr<StreamTransform> layer);
  size_t size() const { return size_; }

  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override;
  absl::Status Send(std::span<const uint8_t> in, std::string& down) override;
  void Close(std::string& down) override;
  bool established() const override;
  bool peer_closed() const override;
  std::optional<ProxiedPeer> proxied_peer() const override;
  std::optional<std::string> client_identity() const override;
  void ReleaseIdleBuffers() override;
  std::string_view pending_layer() const override;
  std::optional<bool> tls_session_resumed() const override;
  std::string_view name() const override { return name_; }

 private:
  // Encodes `bytes` produced at layer `from` (or by the MQTT side when from == size_) through every
  // layer below it, appending the wire form to `wire`.
  bool EstablishedBelow(size_t layer) const;
  absl::Status EncodeBelow(size_t from, std::span<const uint8_t> bytes, std::string& wire);

  std::array<std::unique_ptr<StreamTransform>, kMaxLayers> layers_;
  size_t size_ = 0;
  std::string name_;  // "proxy+tls+ws"
  // Receive: what layer i hands up (the top layer writes to the caller's sink instead).
  std::array<std::string, kMaxLayers> up_;
  std::string reply_;                    // what one layer answers during Receive
  std::array<std::string, 2> encode_;    // EncodeBelow's alternating buffers
};

}  // namespace ringmq
