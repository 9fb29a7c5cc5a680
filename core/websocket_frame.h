// WebSocket framing (RFC 6455 section 5) as a broker speaking MQTT over it needs: a reader of client
// frames that hands the bytes of binary messages on as they arrive, and writers of server frames.
//
// The reader enforces what RFC 6455 requires of a client's frames (masked, no reserved bits without an
// extension, control frames whole and at most 125 bytes, continuation frames only inside a fragmented
// message) and what MQTT requires of its WebSocket messages (binary only: MQTT 5.0 section 6,
// [MQTT-6.0.0-1]). It never waits for a whole message or frame: MQTT packets may span frames and
// frames may hold several packets [MQTT-6.0.0-2], so unmasked bytes go straight to the caller's buffer.
//
// Thread ownership: a WebSocketFrameReader belongs to one connection (its shard); the writers are
// stateless functions, any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringmq {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close status codes (RFC 6455 section 7.4.1) the broker sends. Plain numbers, not an enum: a close
// reply echoes whatever valid code the client sent (4000-4999 are the application's own).
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseUnsupportedData = 1003;  // a text frame: MQTT is binary only
inline constexpr uint16_t kWsCloseMessageTooBig = 1009;

// What WebSocketFrameReader::Read stopped at. Every status from kReservedBits on is a violation: the
// connection must be closed with CloseCodeFor(status).
enum class WsReadStatus : uint8_t {
  kNeedMore,                // every byte given was used; the message bytes among them were appended
  kControlFrame,            // a whole control frame ended: control_opcode(), control_payload()
  kReservedBits,            // RSV1-3 set, and no extension was negotiated that would give them meaning
  kUnknownOpcode,           // 0x3-0x7 or 0xB-0xF
  kUnmasked,                // a client's frames must be masked (section 5.1)
  kControlTooLong,          // a control frame's payload above 125 bytes (section 5.5)
  kControlFragmented,       // a control frame without FIN (section 5.5)
  kLengthTooLarge,          // a 64-bit length with its most significant bit set (section 5.2)
  kUnexpectedContinuation,  // a continuation frame with no fragmented message under way
  kExpectedContinuation,    // a new data frame in the middle of a fragmented message
  kTextFrame,               // MQTT's WebSocket messages are binary [MQTT-6.0.0-1]
  kMessageTooBig,           // the message would exceed the reader's max_message_size
  kBadClosePayload,         // a close frame of 1 byte, or with a status code no endpoint may send
};

constexpr bool IsViolation(WsReadStatus status) { return status >= WsReadStatus::kReservedBits; }

// The close code answering a violation (1002 protocol error, 1003 text, 1009 too big).
uint16_t CloseCodeFor(WsReadStatus violation);

// For log lines: "reserved bits set", "unmasked frame", ...
std::string_view WsReadStatusText(WsReadStatus status);

// Largest control frame payload (RFC 6455 section 5.5).
inline constexpr size_t kWsMaxControlPayload = 125;

// Reads a client's frames incrementally, from any split of the byte stream.
class WebSocketFrameReader {
 public:
  // A message (all the frames of a fragmented one together) longer than max_message_size bytes is a
  // violation (kMessageTooBig), detected from the frame headers before its payload is read.
  explicit WebSocketFrameReader(uint64_t max_message_size) : max_message_size_(max_message_size) {}

  struct Result {
    WsReadStatus status;
    size_t consumed;  // bytes of `in` used; the rest must be given again (after a control frame)
  };

  // Reads `in` until it is used up (kNeedMore), a control frame is complete (kControlFrame: handle it,
  // then call again with the rest), or a violation. The unmasked payload of binary and continuation
  // frames is appended to `message_bytes` as it arrives.
  Result Read(std::span<const uint8_t> in, std::string& message_bytes);

  // The last control frame, valid after Read returned kControlFrame and until the next Read.
  WsOpcode control_opcode() const { return opcode_; }
  std::span<const uint8_t> control_payload() const { return {control_.data(), control_size_}; }

 private:
  // Header bytes gathered so far; the header is complete at 2 + extended length + 4 mask bytes.
  size_t GatherHeader(std::span<const uint8_t> in, size_t want);
  size_t HeaderSize() const;
  WsReadStatus CheckFirstTwoBytes() const;
  WsReadStatus StartFrame();
  WsReadStatus CheckDataFrame(uint64_t length) const;
  size_t ReadPayload(std::span<const uint8_t> in, std::string& message_bytes);
  WsReadStatus FinishFrame();
  void Unmask(const uint8_t* from, size_t size, uint8_t* to) const;
  bool IsControl() const { return static_cast<uint8_t>(opcode_) >= 0x8; }

  uint64_t max_message_size_;
  std::array<uint8_t, 14> header_{};  // the longest header: 2 + 8 length + 4 mask
  size_t header_size_ = 0;
  bool in_payload_ = false;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::kContinuation;
  std::array<uint8_t, 4> mask_{};
  uint64_t payload_left_ = 0;
  uint64_t payload_offset_ = 0;  // bytes of the current payload read: where in the mask we are
  bool in_message_ = false;      // a binary message's first frame came without FIN
  uint64_t message_size_ = 0;
  std::array<uint8_t, kWsMaxControlPayload> control_{};
  size_t control_size_ = 0;
};

// Appends the header of an unmasked server frame with FIN set and `payload_size` bytes to follow.
void AppendWsFrameHeader(WsOpcode opcode, uint64_t payload_size, std::string& out);

// Appends a whole unmasked server frame (a pong echoing a ping's payload, say).
void AppendWsFrame(WsOpcode opcode, std::span<const uint8_t> payload, std::string& out);

// Appends a close frame with a status code (no reason text: the code says it, and logs say more).
void AppendWsCloseFrame(uint16_t code, std::string& out);

// The status code of a close frame's payload, 0 when it carries none (an empty payload).
uint16_t WsCloseStatusOf(std::span<const uint8_t> close_payload);

}  // namespace ringmq
