#include "core/websocket_frame.h"

#include <algorithm>
#include <cstring>

namespace ringmq {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReservedBitsMask = 0x70;
constexpr uint8_t kOpcodeMask = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLength7Mask = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;

bool IsKnownOpcode(uint8_t opcode) {
  return opcode <= static_cast<uint8_t>(WsOpcode::kBinary) ||
         (opcode >= static_cast<uint8_t>(WsOpcode::kClose) && opcode <= static_cast<uint8_t>(WsOpcode::kPong));
}

// Bytes of extended payload length that follow the first two header bytes (RFC 6455 section 5.2).
size_t ExtendedLengthBytes(uint8_t second_byte) {
  const uint8_t length7 = second_byte & kLength7Mask;
  return length7 == kLength16 ? 2 : length7 == kLength64 ? 8 : 0;
}

uint64_t BigEndian(const uint8_t* bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = (value << 8) | bytes[i];
  return value;
}

// RFC 6455 section 7.4: codes an endpoint may put in a close frame. 1005, 1006 and 1015 are reserved
// for reporting a close without sending them; 1016-2999 are for future RFCs; 3000-4999 are registered
// or private.
bool IsSendableCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

}  // namespace

uint16_t CloseCodeFor(WsReadStatus violation) {
  switch (violation) {
    case WsReadStatus::kTextFrame:
      return kWsCloseUnsupportedData;
    case WsReadStatus::kMessageTooBig:
      return kWsCloseMessageTooBig;
    default:
      return kWsCloseProtocolError;
  }
}

std::string_view WsReadStatusText(WsReadStatus status) {
  switch (status) {
    case WsReadStatus::kNeedMore: return "need more bytes";
    case WsReadStatus::kControlFrame: return "control frame";
    case WsReadStatus::kReservedBits: return "reserved bits set";
    case WsReadStatus::kUnknownOpcode: return "unknown opcode";
    case WsReadStatus::kUnmasked: return "unmasked client frame";
    case WsReadStatus::kControlTooLong: return "control frame longer than 125 bytes";
    case WsReadStatus::kControlFragmented: return "fragmented control frame";
    case WsReadStatus::kLengthTooLarge: return "64-bit frame length with its top bit set";
    case WsReadStatus::kUnexpectedContinuation: return "continuation frame outside a message";
    case WsReadStatus::kExpectedContinuation: return "new data frame inside a fragmented message";
    case WsReadStatus::kTextFrame: return "text frame (MQTT needs binary frames)";
    case WsReadStatus::kMessageTooBig: return "message larger than the limit";
    case WsReadStatus::kBadClosePayload: return "malformed close frame";
  }
  return "unknown";
}

WebSocketFrameReader::Result WebSocketFrameReader::Read(std::span<const uint8_t> in, std::string& message_bytes) {
  size_t used = 0;
  while (used < in.size()) {
    if (!in_payload_) {
      if (header_size_ < 2) {
        used += GatherHeader(in.subspan(used), 2);
        if (header_size_ < 2) break;
        const WsReadStatus first = CheckFirstTwoBytes();
        if (first != WsReadStatus::kNeedMore) return {first, used};
      }
      used += GatherHeader(in.subspan(used), HeaderSize());
      if (header_size_ < HeaderSize()) break;
      const WsReadStatus started = StartFrame();
      if (started != WsReadStatus::kNeedMore) return {started, used};
    } else {
      used += ReadPayload(in.subspan(used), message_bytes);
    }
    if (in_payload_ && payload_left_ == 0) {
      const WsReadStatus finished = FinishFrame();
      if (finished != WsReadStatus::kNeedMore) return {finished, used};
    }
  }
  return {WsReadStatus::kNeedMore, used};
}

size_t WebSocketFrameReader::GatherHeader(std::span<const uint8_t> in, size_t want) {
  const size_t take = std::min(in.size(), want - std::min(want, header_size_));
  std::memcpy(header_.data() + header_size_, in.data(), take);
  header_size_ += take;
  return take;
}

size_t WebSocketFrameReader::HeaderSize() const {
  return 2 + ExtendedLengthBytes(header_[1]) + mask_.size();
}

// Everything that can be judged from the first two bytes is, so a bad frame is refused before its
// length and mask are waited for.
WsReadStatus WebSocketFrameReader::CheckFirstTwoBytes() const {
  const uint8_t first = header_[0];
  const uint8_t second = header_[1];
  if (first & kReservedBitsMask) return WsReadStatus::kReservedBits;
  const uint8_t opcode = first & kOpcodeMask;
  if (!IsKnownOpcode(opcode)) return WsReadStatus::kUnknownOpcode;
  if (!(second & kMaskBit)) return WsReadStatus::kUnmasked;
  if (opcode >= static_cast<uint8_t>(WsOpcode::kClose)) {
    if (!(first & kFin)) return WsReadStatus::kControlFragmented;
    if ((second & kLength7Mask) > kWsMaxControlPayload) return WsReadStatus::kControlTooLong;
  }
  return WsReadStatus::kNeedMore;
}

WsReadStatus WebSocketFrameReader::StartFrame() {
  const size_t extended = ExtendedLengthBytes(header_[1]);
  const uint64_t length = extended == 0 ? header_[1] & kLength7Mask : BigEndian(header_.data() + 2, extended);
  if (length >> 63) return WsReadStatus::kLengthTooLarge;
  fin_ = (header_[0] & kFin) != 0;
  opcode_ = static_cast<WsOpcode>(header_[0] & kOpcodeMask);
  if (IsControl()) {
    control_size_ = 0;
  } else {
    const WsReadStatus data = CheckDataFrame(length);
    if (data != WsReadStatus::kNeedMore) return data;
    message_size_ += length;
  }
  std::memcpy(mask_.data(), header_.data() + 2 + extended, mask_.size());
  header_size_ = 0;
  in_payload_ = true;
  payload_left_ = length;
  payload_offset_ = 0;
  return WsReadStatus::kNeedMore;
}

WsReadStatus WebSocketFrameReader::CheckDataFrame(uint64_t length) const {
  if (opcode_ == WsOpcode::kContinuation) {
    if (!in_message_) return WsReadStatus::kUnexpectedContinuation;
  } else if (in_message_) {
    return WsReadStatus::kExpectedContinuation;
  }
  if (opcode_ == WsOpcode::kText) return WsReadStatus::kTextFrame;
  if (length > max_message_size_ - message_size_) return WsReadStatus::kMessageTooBig;
  return WsReadStatus::kNeedMore;
}

size_t WebSocketFrameReader::ReadPayload(std::span<const uint8_t> in, std::string& message_bytes) {
  const size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, in.size()));
  if (IsControl()) {
    Unmask(in.data(), take, control_.data() + control_size_);
    control_size_ += take;
  } else {
    const size_t old_size = message_bytes.size();
    message_bytes.resize(old_size + take);
    Unmask(in.data(), take, reinterpret_cast<uint8_t*>(message_bytes.data()) + old_size);
  }
  payload_left_ -= take;
  payload_offset_ += take;
  return take;
}

WsReadStatus WebSocketFrameReader::FinishFrame() {
  in_payload_ = false;
  if (!IsControl()) {
    in_message_ = !fin_;
    if (fin_) message_size_ = 0;
    return WsReadStatus::kNeedMore;
  }
  if (opcode_ == WsOpcode::kClose) {
    if (control_size_ == 1) return WsReadStatus::kBadClosePayload;
    if (control_size_ >= 2 && !IsSendableCloseCode(WsCloseStatusOf(control_payload()))) {
      return WsReadStatus::kBadClosePayload;
    }
  }
  return WsReadStatus::kControlFrame;
}

// Eight bytes at a time: the mask repeats every four bytes, so a word of it lined up with the
// payload's position unmasks eight bytes per XOR.
void WebSocketFrameReader::Unmask(const uint8_t* from, size_t size, uint8_t* to) const {
  const size_t phase = payload_offset_ & 3;
  std::array<uint8_t, 8> mask_bytes;
  for (size_t j = 0; j < mask_bytes.size(); ++j) mask_bytes[j] = mask_[(phase + j) & 3];
  uint64_t mask_word;
  std::memcpy(&mask_word, mask_bytes.data(), sizeof mask_word);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, from + i, sizeof word);
    word ^= mask_word;
    std::memcpy(to + i, &word, sizeof word);
  }
  for (; i < size; ++i) to[i] = from[i] ^ mask_[(phase + i) & 3];
}

void AppendWsFrameHeader(WsOpcode opcode, uint64_t payload_size, std::string& out) {
  out.push_back(static_cast<char>(kFin | static_cast<uint8_t>(opcode)));
  size_t length_bytes = 0;
  if (payload_size < kLength16) {
    out.push_back(static_cast<char>(payload_size));
  } else if (payload_size <= 0xFFFF) {
    out.push_back(static_cast<char>(kLength16));
    length_bytes = 2;
  } else {
    out.push_back(static_cast<char>(kLength64));
    length_bytes = 8;
  }
  for (size_t i = length_bytes; i > 0; --i) out.push_back(static_cast<char>(payload_size >> (8 * (i - 1))));
}

void AppendWsFrame(WsOpcode opcode, std::span<const uint8_t> payload, std::string& out) {
  AppendWsFrameHeader(opcode, payload.size(), out);
  out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
}

void AppendWsCloseFrame(uint16_t code, std::string& out) {
  const std::array<uint8_t, 2> payload = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  AppendWsFrame(WsOpcode::kClose, payload, out);
}

uint16_t WsCloseStatusOf(std::span<const uint8_t> close_payload) {
  if (close_payload.size() < 2) return 0;
  return static_cast<uint16_t>(BigEndian(close_payload.data(), 2));
}

}  // namespace ringmq
