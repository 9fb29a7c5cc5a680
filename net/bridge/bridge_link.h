// One connection of a bridge to a remote broker, seen by the shard as the stream transform of an
// ordinary client connection. Toward the remote (below) it is an MQTT client: it sends CONNECT,
// SUBSCRIBEs the `in` patterns and PINGREQs. Toward the shard (above) it plays a local MQTT 5 client:
// once the remote accepted it, it sends the shard a CONNECT of the bridge's local session (persistent)
// and a SUBSCRIBE of the `out` patterns with no-local, so that what came in is not sent back out.
// After that every packet is relayed, topics remapped by the bridge's prefixes: the shard's deliveries
// become PUBLISHes to the remote, the remote's PUBLISHes are published locally like any client's, and
// the acknowledgements of both flows pass through with their packet ids, so the shard's own QoS 1/2
// handling (queues, in-flight windows, resends on reconnect) serves the bridge unchanged.
//
// TLS, when configured, is a client-side TLS transform owned by the link, below it.
//
// Thread ownership: created and owned by the bridge's shard (the stream table owns it once adopted).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/frame.h"
#include "core/packet.h"
#include "net/bridge/bridge_config.h"
#include "net/bridge/bridge_stats.h"
#include "net/bridge/bridge_topics.h"
#include "net/transport/stream_transform.h"

namespace ringmq {

// Told of the link's life; implemented by the bridge's runner (net/bridge/bridge_runner.h).
class BridgeLinkObserver {
 public:
  virtual ~BridgeLinkObserver() = default;
  // The remote accepted the CONNECT. `keepalive_s`: the interval to ping at (an MQTT 5 remote's
  // Server Keep Alive overrides the bridge's own).
  virtual void OnLinkUp(bool session_present, uint16_t keepalive_s) = 0;
  // The link is destroyed (its connection was released); `why` is the last error it saw, if any.
  virtual void OnLinkGone(const std::string& why) = 0;
};

class BridgeLink final : public StreamTransform {
 public:
  // `tls`: the client-side TLS transform under the link, or nullptr for plain TCP. `previous`: the
  // topics of the configuration a SIGHUP replaced (see previous_), or nullptr.
  BridgeLink(const BridgeConfig& config, const BridgeTopicMap& topics, BridgeStats& stats,
             std::unique_ptr<StreamTransform> tls, BridgeLinkObserver* observer,
             const BridgeTopicMap* previous = nullptr);
  ~BridgeLink() override;
  BridgeLink(const BridgeLink&) = delete;
  BridgeLink& operator=(const BridgeLink&) = delete;

  // The first bytes for the socket once it is connected: the TLS ClientHello, or the MQTT CONNECT.
  absl::Status Start(std::string& down);
  // Keep-alive, every keepalive interval: a PINGREQ to the remote, or an error when the last one was
  // not answered within the interval (the remote is gone).
  absl::Status Ping(std::string& down);
  // The runner is going away first (the shard is being destroyed): no more calls to it.
  void DetachObserver() { observer_ = nullptr; }

  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override;
  absl::Status Send(std::span<const uint8_t> in, std::string& down) override;
  void Close(std::string& down) override;
  bool established() const override { return phase_ == Phase::kOpen; }
  bool peer_closed() const override { return tls_ != nullptr && tls_->peer_closed(); }
  void NoteClosing(std::string_view why) override {
    if (why_.empty()) why_ = std::string(why);
  }
  // Handshake failures of a bridge are the bridge's (logged by its runner), not a listener's.
  std::string_view pending_layer() const override { return {}; }
  std::string_view name() const override { return "bridge"; }

 private:
  enum class Phase : uint8_t { kTls, kAwaitConnack, kAwaitSuback, kOpen };

  absl::Status ToRemote(std::string_view bytes, std::string& down);
  absl::Status SendConnect(std::string& down);
  absl::Status HandleRemote(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks);
  absl::Status OnConnack(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks);
  // A remote PUBACK/PUBREC/PUBREL/PUBCOMP, to the shard in MQTT 5 form.
  absl::Status RelayAck(const Frame& frame, std::span<const uint8_t> body, std::string& up);
  absl::Status OnRemotePublish(const Frame& frame, std::span<const uint8_t> body, TransformSinks sinks);
  // The remote is ready: the local session's CONNECT and SUBSCRIBE go up to the shard.
  void OpenLocal(std::string& up);
  void UnsubscribeDropped(std::string& up) const;
  absl::Status HandleLocal(const Frame& frame, std::span<const uint8_t> body, std::string& down);
  absl::Status OnLocalPublish(const Frame& frame, std::span<const uint8_t> body, std::string& down);
  absl::Status Fail(absl::Status status);

  const BridgeConfig& config_;
  const BridgeTopicMap& topics_;
  // A bridge changed by SIGHUP resumes the same persistent local session: the `out` filters the old
  // configuration had and the new one has not are unsubscribed when the local session opens, and a
  // message queued under one of them before that is still relayed by the old mapping (it was
  // accepted for the remote under it) instead of failing the link.
  const BridgeTopicMap* previous_;
  BridgeStats& stats_;
  std::unique_ptr<StreamTransform> tls_;
  BridgeLinkObserver* observer_;
  const ProtocolVersion remote_version_;
  Phase phase_;
  bool ping_outstanding_ = false;
  // What the remote's CONNACK said (MQTT 5): the local session takes no more than the remote does.
  uint16_t remote_receive_maximum_ = 0;
  uint32_t remote_maximum_packet_size_ = 0;
  uint8_t remote_maximum_qos_ = 2;
  bool remote_retain_available_ = true;
  std::string remote_in_;  // remote plaintext not yet a whole packet
  std::string local_in_;   // shard output not yet a whole packet
  std::string held_remote_;  // remote PUBLISH/PUBREL that came before the SUBACK (a resumed session)
  std::string plain_;      // what TLS decrypted in one Receive
  std::string scratch_;    // one packet being encoded
  std::string why_;        // the first error, for the runner's log line
};

}  // namespace ringmq
