// Decoding of MQTT control packet bodies into the structs of core/packet.h.
// Pure: bytes in, structs out. Views in the result point into `body`.
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/frame.h"
#include "core/packet.h"

namespace ringmq {

// Why a packet was rejected. `reason` is the MQTT 5 reason code to put in the DISCONNECT (or CONNACK
// for CONNECT) - kMalformedPacket, kProtocolError, kTopicNameInvalid, kPayloadFormatInvalid,
// kUnsupportedProtocolVersion, kClientIdentifierNotValid ... `detail` is a static string for the log.
struct DecodeError {
  ReasonCode reason = ReasonCode::kSuccess;
  std::string_view detail;
  bool ok() const { return reason == ReasonCode::kSuccess; }
};

template <class Packet>
struct Decoded {
  Packet packet;
  DecodeError error;
  bool ok() const { return error.ok(); }
};

// CONNECT: validates protocol name/level, reserved flag, will flags/QoS, username/password flags,
// UTF-8 strings, will topic, properties. An unsupported protocol level decodes with
// error.reason == kUnsupportedProtocolVersion and packet.version set to what was asked, so the caller
// can answer with the right CONNACK.
Decoded<ConnectPacket> DecodeConnect(const Frame& frame, std::span<const uint8_t> body);

// The packets below need the protocol version negotiated by CONNECT.
Decoded<PublishPacket> DecodePublish(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version);
// PUBACK, PUBREC, PUBREL, PUBCOMP (frame.type tells which; PUBREL requires flags 0b0010).
Decoded<AckPacket> DecodeAck(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version);
Decoded<SubscribePacket> DecodeSubscribe(const Frame& frame, std::span<const uint8_t> body,
                                         ProtocolVersion version);
Decoded<UnsubscribePacket> DecodeUnsubscribe(const Frame& frame, std::span<const uint8_t> body,
                                             ProtocolVersion version);
Decoded<DisconnectPacket> DecodeDisconnect(const Frame& frame, std::span<const uint8_t> body,
                                           ProtocolVersion version);
Decoded<AuthPacket> DecodeAuth(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version);
// PINGREQ: only checks flags and an empty body.
DecodeError DecodePingreq(const Frame& frame, std::span<const uint8_t> body);

// Client-side decoders, used by tools/ringmq-bench and by tests.
Decoded<ConnackPacket> DecodeConnack(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version);
Decoded<SubackPacket> DecodeSuback(const Frame& frame, std::span<const uint8_t> body,
                                   ProtocolVersion version);  // SUBACK and UNSUBACK

}  // namespace ringmq
