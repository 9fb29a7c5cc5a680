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
// can answer with the right CONNACK (the level may be none of the ProtocolVersion enumerators). An
// unknown protocol name is kMalformedPacket. An invalid will topic is kTopicNameInvalid.
Decoded<ConnectPacket> DecodeConnect(const Frame& frame, std::span<const uint8_t> body);

// The packets below need the protocol version negotiated by CONNECT (kV31 decodes as 3.1.1).

// PUBLISH sent by a client: wildcards in the topic -> kTopicNameInvalid; Topic Alias 0 ->
// kTopicAliasInvalid; payload format indicator 1 with a non-UTF-8 payload -> kPayloadFormatInvalid;
// a Subscription Identifier -> kProtocolError. Does not allocate unless the packet carries user
// properties.
Decoded<PublishPacket> DecodePublish(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version);
// PUBACK, PUBREC, PUBREL, PUBCOMP (frame.type tells which; PUBREL requires flags 0b0010).
Decoded<AckPacket> DecodeAck(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version);
// SUBSCRIBE / UNSUBSCRIBE: a filter with bad syntax ('+'/'#' misplaced) makes the whole packet
// kMalformedPacket, in 3.1.1 (as the specification requires) and in 5.0 alike (allowed there too).
// Shared-subscription specifics ("$share/{group}/{filter}", see core/topic.h) are left to the caller,
// which answers kTopicFilterInvalid per filter; only "no local on a shared subscription" is rejected
// here (kProtocolError, [MQTT-3.8.3-4]).
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
// PUBLISH sent by the server: like DecodePublish but Subscription Identifiers are allowed (repeatable).
Decoded<PublishPacket> DecodeServerPublish(const Frame& frame, std::span<const uint8_t> body,
                                           ProtocolVersion version);
Decoded<ConnackPacket> DecodeConnack(const Frame& frame, std::span<const uint8_t> body,
                                     ProtocolVersion version);
Decoded<SubackPacket> DecodeSuback(const Frame& frame, std::span<const uint8_t> body,
                                   ProtocolVersion version);  // SUBACK and UNSUBACK

}  // namespace ringmq
