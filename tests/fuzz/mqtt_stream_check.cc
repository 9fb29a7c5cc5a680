#include "tests/fuzz/mqtt_stream_check.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decoder.h"
#include "core/encoder.h"
#include "core/frame.h"
#include "core/passthrough_properties.h"
#include "core/topic.h"
#include "core/utf8.h"
#include "core/wire_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace ringmq::fuzz {
namespace {

// The largest packet MQTT can express (5-byte fixed header at most, kMaxVarint body), and a small
// limit under which kTooLarge is reachable by short inputs.
constexpr uint32_t kUnlimited = 5 + kMaxVarint;
constexpr uint32_t kSmallLimit = 64;

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// ---- Frames ----

// The fixed header as MQTT 5.0 sections 2.1.1 and 1.5.5 define it, read without ParseFrame.
struct FixedHeader {
  bool malformed = false;
  bool complete = false;
  uint32_t header_size = 0;
  uint32_t remaining_length = 0;
};

FixedHeader ReadFixedHeader(std::span<const uint8_t> data) {
  FixedHeader header;
  if (data.empty()) return header;
  if ((data[0] >> 4) == 0) {
    header.malformed = true;
    return header;
  }
  uint32_t multiplier = 1;
  for (size_t i = 1; i <= 4; ++i) {
    if (i >= data.size()) return header;
    header.remaining_length += (data[i] & 0x7Fu) * multiplier;
    multiplier *= 128;
    if ((data[i] & 0x80) == 0) {
      header.complete = true;
      header.header_size = static_cast<uint32_t>(i + 1);
      return header;
    }
  }
  header.malformed = true;  // a fifth length byte
  return header;
}

FrameStatus ExpectedStatus(const FixedHeader& header, size_t available, uint32_t max_packet_size) {
  if (header.malformed) return FrameStatus::kMalformed;
  if (!header.complete) return FrameStatus::kNeedMore;
  const uint64_t total = uint64_t{header.header_size} + header.remaining_length;
  if (total > max_packet_size) return FrameStatus::kTooLarge;
  return available >= total ? FrameStatus::kOk : FrameStatus::kNeedMore;
}

// ParseFrame agrees with the independent reading, under a limit that lets everything through and
// one that short inputs can exceed.
FrameResult CheckFrame(std::span<const uint8_t> data) {
  const FixedHeader header = ReadFixedHeader(data);
  FrameResult unlimited;
  for (uint32_t limit : {kUnlimited, kSmallLimit}) {
    const FrameResult result = ParseFrame(data, limit);
    FUZZ_CHECK(result.status == ExpectedStatus(header, data.size(), limit));
    if (result.status == FrameStatus::kOk || result.status == FrameStatus::kTooLarge) {
      FUZZ_CHECK(result.frame.type == static_cast<PacketType>(data[0] >> 4));
      FUZZ_CHECK(result.frame.flags == (data[0] & 0x0F));
      FUZZ_CHECK(result.frame.header_size == header.header_size);
      FUZZ_CHECK(result.frame.remaining_length == header.remaining_length);
    }
    if (result.status == FrameStatus::kOk) FUZZ_CHECK(result.frame.total_size() <= data.size());
    if (limit == kUnlimited) unlimited = result;
  }
  if (unlimited.status == FrameStatus::kOk) {
    // A packet split anywhere before its last byte waits for more.
    const uint32_t total = unlimited.frame.total_size();
    FUZZ_CHECK(ParseFrame(data.first(total - 1), kUnlimited).status == FrameStatus::kNeedMore);
    FUZZ_CHECK(ParseFrame(data.first(total), kUnlimited).status == FrameStatus::kOk);
  }
  return unlimited;
}

// ---- Decoded views lie inside the body they were decoded from ----

void CheckWithin(std::string_view view, std::span<const uint8_t> body) {
  if (view.empty()) return;  // nothing to read, wherever it points
  const auto* begin = reinterpret_cast<const char*>(body.data());
  FUZZ_CHECK(view.data() >= begin);
  FUZZ_CHECK(view.size() <= body.size());
  FUZZ_CHECK(view.data() + view.size() <= begin + body.size());
}

void CheckWithin(const std::optional<std::string_view>& view, std::span<const uint8_t> body) {
  if (view) CheckWithin(*view, body);
}

void CheckWithin(const Properties& p, std::span<const uint8_t> body) {
  for (const auto* view : {&p.content_type, &p.response_topic, &p.correlation_data,
                           &p.assigned_client_identifier, &p.authentication_method, &p.authentication_data,
                           &p.response_information, &p.server_reference, &p.reason_string}) {
    CheckWithin(*view, body);
  }
  for (const UserProperty& up : p.user_properties) {
    CheckWithin(up.key, body);
    CheckWithin(up.value, body);
  }
}

void CheckWithin(const ConnectPacket& p, std::span<const uint8_t> body) {
  CheckWithin(p.client_id, body);
  CheckWithin(p.username, body);
  CheckWithin(p.password, body);
  CheckWithin(p.properties, body);
  if (p.will) {
    CheckWithin(p.will->topic, body);
    CheckWithin(p.will->payload, body);
    CheckWithin(p.will->properties, body);
  }
}

void CheckWithin(const PublishPacket& p, std::span<const uint8_t> body) {
  CheckWithin(p.topic, body);
  CheckWithin(p.payload, body);
  CheckWithin(p.properties, body);
}

void CheckWithin(const SubscribePacket& p, std::span<const uint8_t> body) {
  CheckWithin(p.properties, body);
  for (const TopicSubscription& sub : p.subscriptions) CheckWithin(sub.filter, body);
}

void CheckWithin(const UnsubscribePacket& p, std::span<const uint8_t> body) {
  CheckWithin(p.properties, body);
  for (std::string_view filter : p.filters) CheckWithin(filter, body);
}

// Packets whose only views are their properties.
template <class Packet>
void CheckWithin(const Packet& p, std::span<const uint8_t> body) {
  CheckWithin(p.properties, body);
}

// ---- What an accepted packet promises ----

// Each user property takes at least 5 body bytes (identifier and two length prefixes), each
// subscription identifier at least 2.
void CheckAccepted(const Properties& p, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.user_properties.size() * 5 <= body.size());
  FUZZ_CHECK(p.subscription_identifiers.size() * 2 <= body.size());
  for (uint32_t id : p.subscription_identifiers) FUZZ_CHECK(id >= 1 && id <= kMaxVarint);
  for (const UserProperty& up : p.user_properties) {
    FUZZ_CHECK(IsValidMqttUtf8(up.key) && IsValidMqttUtf8(up.value));
  }
  if (p.response_topic) FUZZ_CHECK(IsValidTopicName(*p.response_topic));
  if (p.topic_alias) FUZZ_CHECK(*p.topic_alias != 0);
  if (p.receive_maximum) FUZZ_CHECK(*p.receive_maximum != 0);
  if (p.authentication_data) FUZZ_CHECK(p.authentication_method.has_value());
  // The block with its length prefix, as EncodeProperties writes it, is as long as the sizes say.
  std::string block;
  const size_t written = EncodeProperties(p, block);
  const size_t body_size = PropertiesSize(p);
  FUZZ_CHECK(written == block.size() && written == VarintSize(static_cast<uint32_t>(body_size)) + body_size);
}

void CheckAccepted(const ConnectPacket& p, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.version == ProtocolVersion::kV31 || p.version == ProtocolVersion::kV311 ||
             p.version == ProtocolVersion::kV5);
  FUZZ_CHECK(IsValidMqttUtf8(p.client_id));
  if (p.username) FUZZ_CHECK(IsValidMqttUtf8(*p.username));
  if (!IsV5(p.version) && p.password) FUZZ_CHECK(p.username.has_value());
  if (p.will) {
    FUZZ_CHECK(IsValidTopicName(p.will->topic) && IsValidMqttUtf8(p.will->topic));
    FUZZ_CHECK(p.will->qos <= 2);
    CheckAccepted(p.will->properties, body);
  }
  CheckAccepted(p.properties, body);
}

void CheckAccepted(const PublishPacket& p, ProtocolVersion version, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.qos <= 2);
  FUZZ_CHECK(!(p.dup && p.qos == 0));
  FUZZ_CHECK((p.qos == 0) == (p.packet_id == 0));
  if (p.topic.empty()) {
    FUZZ_CHECK(IsV5(version) && p.properties.topic_alias.has_value());
  } else {
    FUZZ_CHECK(IsValidTopicName(p.topic) && IsValidMqttUtf8(p.topic));
  }
  if (p.properties.payload_format_indicator == 1) FUZZ_CHECK(IsValidMqttUtf8(p.payload));
  FUZZ_CHECK(p.payload.size() <= body.size());
  CheckAccepted(p.properties, body);
}

void CheckAccepted(const SubscribePacket& p, ProtocolVersion version, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.packet_id != 0);
  FUZZ_CHECK(!p.subscriptions.empty());
  FUZZ_CHECK(p.subscriptions.size() * 4 <= body.size());  // length prefix, >= 1 byte, options
  for (const TopicSubscription& sub : p.subscriptions) {
    FUZZ_CHECK(IsValidTopicFilter(sub.filter) && IsValidMqttUtf8(sub.filter));
    FUZZ_CHECK(sub.options.max_qos <= 2 && sub.options.retain_handling <= 2);
    if (!IsV5(version)) {
      FUZZ_CHECK(!sub.options.no_local && !sub.options.retain_as_published && sub.options.retain_handling == 0);
    }
    if (sub.options.no_local) FUZZ_CHECK(!IsSharedFilter(sub.filter));
  }
  CheckAccepted(p.properties, body);
}

void CheckAccepted(const UnsubscribePacket& p, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.packet_id != 0);
  FUZZ_CHECK(!p.filters.empty());
  FUZZ_CHECK(p.filters.size() * 3 <= body.size());  // length prefix and >= 1 byte
  for (std::string_view filter : p.filters) FUZZ_CHECK(IsValidTopicFilter(filter) && IsValidMqttUtf8(filter));
  CheckAccepted(p.properties, body);
}

void CheckAccepted(const SubackPacket& p, ProtocolVersion version, std::span<const uint8_t> body) {
  FUZZ_CHECK(p.packet_id != 0);
  FUZZ_CHECK(p.reasons.size() <= body.size());
  if (p.type == PacketType::kUnsuback && !IsV5(version)) FUZZ_CHECK(p.reasons.empty());
  else FUZZ_CHECK(!p.reasons.empty());
  CheckAccepted(p.properties, body);
}

// ---- Decode, check, re-encode, decode again ----

void CheckRejection(const DecodeError& error) {
  if (error.ok()) return;
  FUZZ_CHECK(IsError(error.reason));
  FUZZ_CHECK(!error.detail.empty());
}

// `packet` encoded by `encode` is one whole frame of the same type and flags, no longer than the
// body it came from (plus `growth` bytes where the encoder writes what the sender could omit), and
// `decode` reads it back as an equal packet.
template <class Packet, class Decode, class Encode>
void CheckRoundTrip(const Frame& frame, const Packet& packet, Decode decode, Encode encode, size_t growth = 0) {
  std::string out;
  const size_t written = encode(packet, out);
  FUZZ_CHECK(written == out.size());
  const FrameResult again = ParseFrame(AsBytes(out), kUnlimited);
  FUZZ_CHECK(again.status == FrameStatus::kOk);
  FUZZ_CHECK(again.frame.total_size() == out.size());
  FUZZ_CHECK(again.frame.type == frame.type);
  FUZZ_CHECK(again.frame.flags == frame.flags);
  FUZZ_CHECK(again.frame.remaining_length <= frame.remaining_length + growth);
  const std::vector<uint8_t> body(out.begin() + again.frame.header_size, out.end());
  const auto redecoded = decode(again.frame, std::span<const uint8_t>(body));
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(redecoded.packet == packet);
}

// The steps every decoder goes through; `accepted` adds the packet's own promises.
template <class Decode, class Encode, class Accepted>
void CheckDecoder(const Frame& frame, std::span<const uint8_t> body, Decode decode, Encode encode,
                  Accepted accepted, size_t growth = 0) {
  const auto decoded = decode(frame, body);
  CheckRejection(decoded.error);
  CheckWithin(decoded.packet, body);
  if (!decoded.ok()) return;
  accepted(decoded.packet);
  CheckRoundTrip(frame, decoded.packet, decode, encode, growth);
}

// The PUBLISH a broker forwards: the per-subscriber properties encoded from the struct, the rest
// copied as raw bytes (core/passthrough_properties.h). A subscriber must decode the original.
void CheckForwardedPublish(const PublishPacket& p) {
  std::string raw;
  AppendPassthroughProperties(p.properties, raw);
  PublishPacket forwarded = p;
  forwarded.properties = Properties{};
  forwarded.properties.message_expiry_interval = p.properties.message_expiry_interval;
  forwarded.properties.topic_alias = p.properties.topic_alias;
  forwarded.properties.subscription_identifiers = p.properties.subscription_identifiers;
  std::string out;
  const size_t written = EncodePublish(forwarded, raw, ProtocolVersion::kV5, out);
  FUZZ_CHECK(written == out.size());
  FUZZ_CHECK(written == PublishPacketSize(forwarded, raw, ProtocolVersion::kV5));
  const FrameResult frame = ParseFrame(AsBytes(out), kUnlimited);
  FUZZ_CHECK(frame.status == FrameStatus::kOk && frame.frame.total_size() == out.size());
  const std::vector<uint8_t> body(out.begin() + frame.frame.header_size, out.end());
  const Decoded<PublishPacket> received = DecodeServerPublish(frame.frame, body, ProtocolVersion::kV5);
  FUZZ_CHECK(received.ok());
  FUZZ_CHECK(received.packet == p);
}

// EncodePublish, its size and its head-without-payload form agree.
void CheckPublishEncodings(const PublishPacket& p, ProtocolVersion version) {
  std::string whole;
  const size_t written = EncodePublish(p, version, whole);
  FUZZ_CHECK(written == PublishPacketSize(p, {}, version));
  std::string head;
  const size_t head_size = EncodePublishHead(p, {}, version, head);
  FUZZ_CHECK(head_size == head.size());
  FUZZ_CHECK(head.size() + p.payload.size() == whole.size());
  FUZZ_CHECK(std::string_view(whole).substr(0, head.size()) == head);
  FUZZ_CHECK(std::string_view(whole).substr(head.size()) == p.payload);
}

// A client's PUBLISH (DecodePublish) and a server's (DecodeServerPublish, which also allows
// Subscription Identifiers): whatever the first accepts the second accepts identically.
void CheckPublish(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version) {
  const auto encode = [version](const PublishPacket& p, std::string& out) { return EncodePublish(p, version, out); };
  const auto accepted = [&](const PublishPacket& p) {
    CheckAccepted(p, version, body);
    CheckPublishEncodings(p, version);
    if (IsV5(version)) CheckForwardedPublish(p);
  };
  const auto from_client = [version](const Frame& f, std::span<const uint8_t> b) { return DecodePublish(f, b, version); };
  const auto from_server = [version](const Frame& f, std::span<const uint8_t> b) {
    return DecodeServerPublish(f, b, version);
  };
  CheckDecoder(frame, body, from_client, encode, accepted);
  CheckDecoder(frame, body, from_server, encode, accepted);
  const Decoded<PublishPacket> client = from_client(frame, body);
  if (client.ok()) {
    const Decoded<PublishPacket> server = from_server(frame, body);
    FUZZ_CHECK(server.ok() && server.packet == client.packet);
  }
}

void CheckConnect(const Frame& frame, std::span<const uint8_t> body) {
  const auto decode = [](const Frame& f, std::span<const uint8_t> b) { return DecodeConnect(f, b); };
  const auto encode = [](const ConnectPacket& p, std::string& out) { return EncodeConnect(p, out); };
  CheckDecoder(frame, body, decode, encode, [&](const ConnectPacket& p) { CheckAccepted(p, body); });
}

void CheckPingreq(const Frame& frame, std::span<const uint8_t> body) {
  const DecodeError error = DecodePingreq(frame, body);
  CheckRejection(error);
  if (!error.ok()) return;
  FUZZ_CHECK(body.empty() && frame.flags == 0);
  std::string out;
  FUZZ_CHECK(EncodePingreq(out) == 2 && out == std::string_view("\xC0\x00", 2));
}

// Decodes one packet with the decoder its type calls for at `version`.
void CheckPacket(const Frame& frame, std::span<const uint8_t> body, ProtocolVersion version) {
  const auto with_version = [version](auto decoder) {
    return [version, decoder](const Frame& f, std::span<const uint8_t> b) { return decoder(f, b, version); };
  };
  const auto properties_only = [&](const auto& p) { CheckAccepted(p.properties, body); };
  switch (frame.type) {
    case PacketType::kConnect:
      return CheckConnect(frame, body);
    case PacketType::kConnack:
      return CheckDecoder(
          frame, body, with_version(DecodeConnack),
          [version](const ConnackPacket& p, std::string& out) { return EncodeConnack(p, version, out); },
          [&](const ConnackPacket& p) {
            FUZZ_CHECK(!(p.session_present && IsError(p.reason)));
            CheckAccepted(p.properties, body);
          });
    case PacketType::kPublish:
      return CheckPublish(frame, body, version);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return CheckDecoder(
          frame, body, with_version(DecodeAck),
          [version](const AckPacket& p, std::string& out) {
            const size_t written = EncodeAck(p, version, out);
            FUZZ_CHECK(written == AckPacketSize(p, version));
            return written;
          },
          [&](const AckPacket& p) {
            FUZZ_CHECK(p.packet_id != 0 && p.type == frame.type);
            CheckAccepted(p.properties, body);
          });
    case PacketType::kSubscribe:
      return CheckDecoder(
          frame, body, with_version(DecodeSubscribe),
          [version](const SubscribePacket& p, std::string& out) { return EncodeSubscribe(p, version, out); },
          [&](const SubscribePacket& p) { CheckAccepted(p, version, body); });
    case PacketType::kSuback:
    case PacketType::kUnsuback:
      return CheckDecoder(
          frame, body, with_version(DecodeSuback),
          [version](const SubackPacket& p, std::string& out) { return EncodeSuback(p, version, out); },
          [&](const SubackPacket& p) { CheckAccepted(p, version, body); });
    case PacketType::kUnsubscribe:
      return CheckDecoder(
          frame, body, with_version(DecodeUnsubscribe),
          [version](const UnsubscribePacket& p, std::string& out) { return EncodeUnsubscribe(p, version, out); },
          [&](const UnsubscribePacket& p) { CheckAccepted(p, body); });
    case PacketType::kPingreq:
      return CheckPingreq(frame, body);
    case PacketType::kDisconnect:
      return CheckDecoder(
          frame, body, with_version(DecodeDisconnect),
          [version](const DisconnectPacket& p, std::string& out) { return EncodeDisconnect(p, version, out); },
          properties_only);
    case PacketType::kAuth: {
      if (!IsV5(version)) FUZZ_CHECK(!DecodeAuth(frame, body, version).ok());
      // A reason code without properties comes back with an empty property length: one byte more.
      return CheckDecoder(
          frame, body, with_version(DecodeAuth),
          [](const AuthPacket& p, std::string& out) { return EncodeAuth(p, out); }, properties_only,
          /*growth=*/1);
    }
    case PacketType::kPingresp:  // no decoder: a broker never receives one
    case PacketType::kReserved:  // ParseFrame rejects type 0
      return;
  }
}

}  // namespace

void CheckMqttStream(std::span<const uint8_t> stream, ProtocolVersion version) {
  // Each round consumes a whole packet of at least 2 bytes, so the loop ends.
  while (!stream.empty()) {
    const FrameResult result = CheckFrame(stream);
    if (result.status != FrameStatus::kOk) return;
    const Frame& frame = result.frame;
    // The body in an allocation of its own size, so AddressSanitizer reports any read past its end
    // (in the stream it would read the next packet, unnoticed).
    const std::vector<uint8_t> body(stream.begin() + frame.header_size, stream.begin() + frame.total_size());
    CheckPacket(frame, body, version);
    stream = stream.subspan(frame.total_size());
  }
}

}  // namespace ringmq::fuzz
