// libFuzzer target: WebSocketFrameReader (core/websocket_frame.h). The input is a client's byte stream
// (its first byte picks the message size limit and a cut). Checked: the reader reports the same
// message bytes, control frames and violation whether the stream comes whole, cut in two anywhere,
// or a byte at a time (headers, lengths, masks and payloads split at any point); every byte of a read
// that reports kNeedMore is used; and the whole-stream result equals a plain reading of RFC 6455
// section 5 over the complete buffer, written out below without any incremental state.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/websocket_frame.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ringmq::WsOpcode;
using ringmq::WsReadStatus;

struct Outcome {
  std::string data;
  std::vector<std::pair<uint8_t, std::string>> controls;
  std::optional<WsReadStatus> violation;

  bool operator==(const Outcome&) const = default;
};

Outcome Drive(uint64_t limit, const std::vector<std::span<const uint8_t>>& chunks) {
  ringmq::WebSocketFrameReader reader(limit);
  Outcome outcome;
  for (std::span<const uint8_t> in : chunks) {
    while (!in.empty()) {
      const auto result = reader.Read(in, outcome.data);
      FUZZ_CHECK(result.consumed <= in.size());
      in = in.subspan(result.consumed);
      if (result.status == WsReadStatus::kNeedMore) {
        FUZZ_CHECK(in.empty());
        break;
      }
      if (result.status == WsReadStatus::kControlFrame) {
        const auto payload = reader.control_payload();
        FUZZ_CHECK(payload.size() <= ringmq::kWsMaxControlPayload);
        outcome.controls.emplace_back(static_cast<uint8_t>(reader.control_opcode()),
                                      std::string(payload.begin(), payload.end()));
        continue;
      }
      FUZZ_CHECK(ringmq::IsViolation(result.status));
      outcome.violation = result.status;
      return outcome;
    }
  }
  return outcome;
}

bool IsControlOpcode(uint8_t opcode) { return opcode >= 0x8; }

bool IsSendableCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// RFC 6455 section 5 over the complete buffer, frame by frame; the payload of a data frame cut off by
// the end of the buffer still counts (MQTT bytes go up as they arrive).
Outcome ReadByDefinition(uint64_t limit, std::span<const uint8_t> stream) {
  Outcome outcome;
  bool in_message = false;
  uint64_t message_size = 0;
  size_t pos = 0;
  while (stream.size() - pos >= 2) {
    const uint8_t first = stream[pos];
    const uint8_t second = stream[pos + 1];
    const bool fin = first & 0x80;
    const uint8_t opcode = first & 0x0F;
    const auto fail = [&](WsReadStatus status) {
      outcome.violation = status;
      return outcome;
    };
    if (first & 0x70) return fail(WsReadStatus::kReservedBits);
    if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xA) return fail(WsReadStatus::kUnknownOpcode);
    if (!(second & 0x80)) return fail(WsReadStatus::kUnmasked);
    if (IsControlOpcode(opcode) && !fin) return fail(WsReadStatus::kControlFragmented);
    if (IsControlOpcode(opcode) && (second & 0x7F) > 125) return fail(WsReadStatus::kControlTooLong);
    const size_t extended = (second & 0x7F) == 126 ? 2 : (second & 0x7F) == 127 ? 8 : 0;
    const size_t header = 2 + extended + 4;
    if (stream.size() - pos < header) break;
    uint64_t length = second & 0x7F;
    if (extended > 0) {
      length = 0;
      for (size_t i = 0; i < extended; ++i) length = (length << 8) | stream[pos + 2 + i];
    }
    if (length >> 63) return fail(WsReadStatus::kLengthTooLarge);
    if (!IsControlOpcode(opcode)) {
      if (opcode == 0x0 && !in_message) return fail(WsReadStatus::kUnexpectedContinuation);
      if (opcode != 0x0 && in_message) return fail(WsReadStatus::kExpectedContinuation);
      if (opcode == 0x1) return fail(WsReadStatus::kTextFrame);
      if (message_size + length > limit || message_size + length < message_size) {
        return fail(WsReadStatus::kMessageTooBig);
      }
      message_size += length;
    }
    const uint8_t* mask = &stream[pos + 2 + extended];
    const size_t available = stream.size() - pos - header;
    const size_t present = length < available ? static_cast<size_t>(length) : available;
    std::string payload;
    for (size_t i = 0; i < present; ++i) payload += static_cast<char>(stream[pos + header + i] ^ mask[i % 4]);
    if (!IsControlOpcode(opcode)) outcome.data += payload;
    if (present < length) break;
    pos += header + present;
    if (!IsControlOpcode(opcode)) {
      in_message = !fin;
      if (fin) message_size = 0;
      continue;
    }
    if (opcode == 0x8 && (payload.size() == 1 ||
                          (payload.size() >= 2 &&
                           !IsSendableCloseCode(static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1])))))) {
      return fail(WsReadStatus::kBadClosePayload);
    }
    outcome.controls.emplace_back(opcode, payload);
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Limits that real frames reach: none, a small message, one byte.
  constexpr uint64_t kLimits[] = {UINT64_MAX, 64, 1, 1 << 20};
  const uint64_t limit = kLimits[data[0] & 3];
  const std::span<const uint8_t> stream(data + 1, size - 1);
  const Outcome whole = Drive(limit, {stream});
  FUZZ_CHECK(whole == ReadByDefinition(limit, stream));
  const size_t cut = stream.empty() ? 0 : (data[0] >> 2) * 7 % (stream.size() + 1);
  FUZZ_CHECK(whole == Drive(limit, {stream.first(cut), stream.subspan(cut)}));
  std::vector<std::span<const uint8_t>> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.subspan(i, 1));
  FUZZ_CHECK(whole == Drive(limit, bytes));
  return 0;
}
