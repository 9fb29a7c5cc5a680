// Small helpers shared by the packet decoders (decoder.cc, decode_connect.cc, decode_publish.cc,
// properties_codec.cc): error constructors and validated string reads.
// Thread ownership: stateless inline functions, any thread.
#pragma once

#include <optional>
#include <string_view>

#include "core/decoder.h"
#include "core/utf8.h"
#include "core/wire_reader.h"

namespace ringmq::decode {

inline DecodeError Fail(ReasonCode reason, std::string_view detail) { return {reason, detail}; }
inline DecodeError Malformed(std::string_view detail) { return {ReasonCode::kMalformedPacket, detail}; }
inline DecodeError ProtocolError(std::string_view detail) { return {ReasonCode::kProtocolError, detail}; }
inline constexpr DecodeError kOk{};

// A length-prefixed MQTT UTF-8 string; nullopt when truncated or not valid MQTT UTF-8.
inline std::optional<std::string_view> ReadUtf8String(WireReader& in) {
  std::optional<std::string_view> text = in.ReadLengthPrefixed();
  if (!text || !IsValidMqttUtf8(*text)) return std::nullopt;
  return text;
}

// Builds a Decoded<> carrying only an error.
template <class Packet>
Decoded<Packet> Failed(DecodeError error) {
  Decoded<Packet> result;
  result.error = error;
  return result;
}

}  // namespace ringmq::decode
