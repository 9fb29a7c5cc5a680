// Framing: finds one whole MQTT control packet at the front of a byte stream.
// Pure: no I/O, no allocation. Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <span>

#include "core/packet.h"

namespace ringmq {

enum class FrameStatus : uint8_t {
  kOk,         // a whole packet is present
  kNeedMore,   // the fixed header or body is incomplete; read more bytes
  kMalformed,  // remaining length longer than 4 bytes, or packet type 0
  kTooLarge,   // header_size + remaining_length exceeds max_packet_size
};

struct Frame {
  PacketType type = PacketType::kReserved;
  uint8_t flags = 0;              // low nibble of the first byte
  uint32_t header_size = 0;       // 1 + bytes of the remaining-length varint
  uint32_t remaining_length = 0;  // body bytes after the fixed header
  uint32_t total_size() const { return header_size + remaining_length; }
};

struct FrameResult {
  FrameStatus status = FrameStatus::kNeedMore;
  Frame frame;  // valid when status is kOk (header fields also when kTooLarge, and when kNeedMore
                // once the fixed header is whole: header_size is 0 until then)
};

// Looks at the front of `data`. kTooLarge is reported as soon as the fixed header is complete, so a
// caller can reject an oversized packet before buffering its body.
FrameResult ParseFrame(std::span<const uint8_t> data, uint32_t max_packet_size);

}  // namespace ringmq
