// ClientSession: the MQTT client protocol of one ringmq-bench connection, without I/O. The worker
// feeds it whole packets and gets back what happened; the session appends its answers (CONNECT,
// SUBSCRIBE, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ, DISCONNECT) to the connection's
// output buffer.
//
// Thread ownership: owned by the worker thread of its connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/frame.h"
#include "core/packet.h"

namespace ringmq::bench {

struct SessionSettings {
  ProtocolVersion version = ProtocolVersion::kV311;
  std::string_view client_id;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
  bool clean_start = true;
  uint16_t keepalive_s = 60;
  uint8_t qos = 0;
  bool retain = false;
  uint32_t inflight_limit = 1;  // our outstanding QoS 1/2 publishes
};

enum class SessionEventKind : uint8_t {
  kNone,              // nothing the worker must act on (PINGRESP, PUBREL answered ...)
  kConnected,         // CONNACK accepted
  kRefused,           // CONNACK refused, SUBACK failure, or DISCONNECT from the broker
  kSubscribed,        // SUBACK granted
  kMessage,           // an application message arrived: `payload`
  kPublishCompleted,  // a QoS 1/2 publish of ours finished (PUBACK / PUBCOMP / failed PUBREC)
  kProtocolError,     // undecodable or unexpected packet: close the connection
};

struct SessionEvent {
  SessionEventKind kind = SessionEventKind::kNone;
  std::string_view payload;  // kMessage: view into the packet body
  bool failed = false;       // kPublishCompleted with an error reason code (MQTT 5)
  std::string_view detail;   // why, for kRefused / kProtocolError
};

class ClientSession {
 public:
  explicit ClientSession(const SessionSettings& settings) : settings_(settings) {}

  void AppendConnect(std::string& out) const;
  void AppendSubscribe(std::string_view filter, std::string& out);
  // Appends one PUBLISH with the configured QoS and retain flag; counts it in flight for QoS 1/2.
  void AppendPublish(std::string_view topic, std::string_view payload, std::string& out);
  void AppendPing(std::string& out) const;
  void AppendDisconnect(std::string& out) const;

  // Handles one whole packet (`body` is the remaining_length bytes after the fixed header).
  SessionEvent HandlePacket(const Frame& frame, std::span<const uint8_t> body, std::string& out);

  // How many more QoS 1/2 publishes may be sent now (the smaller of our limit and the broker's
  // MQTT 5 receive maximum); unlimited (UINT32_MAX) for QoS 0.
  uint32_t PublishRoom() const;
  uint32_t inflight() const { return inflight_; }
  ProtocolVersion version() const { return settings_.version; }

 private:
  uint16_t NextPacketId();
  SessionEvent HandleConnack(const Frame& frame, std::span<const uint8_t> body);
  SessionEvent HandleSuback(const Frame& frame, std::span<const uint8_t> body);
  SessionEvent HandlePublish(const Frame& frame, std::span<const uint8_t> body, std::string& out);
  SessionEvent HandleAck(const Frame& frame, std::span<const uint8_t> body, std::string& out);
  void AppendAck(PacketType type, uint16_t packet_id, std::string& out) const;

  SessionSettings settings_;
  uint16_t last_packet_id_ = 0;
  uint32_t inflight_ = 0;
  // Reused for every PUBLISH: building and destroying a packet with its empty property set each
  // time was a tenth of the generator's CPU in fan-in.
  PublishPacket publish_scratch_;
  uint32_t broker_receive_maximum_ = 65535;
};

}  // namespace ringmq::bench
