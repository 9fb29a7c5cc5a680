#include "core/frame.h"

namespace ringmq {
namespace {

constexpr size_t kMaxVarintBytes = 4;

}  // namespace

FrameResult ParseFrame(std::span<const uint8_t> data, uint32_t max_packet_size) {
  FrameResult result;
  if (data.empty()) return result;
  const uint8_t first = data[0];
  if ((first >> 4) == 0) return {FrameStatus::kMalformed, {}};
  uint32_t remaining = 0;
  size_t i = 0;
  for (;; ++i) {
    if (i == kMaxVarintBytes) return {FrameStatus::kMalformed, {}};
    if (1 + i >= data.size()) return result;  // header incomplete
    const uint8_t byte = data[1 + i];
    remaining |= uint32_t{byte & 0x7Fu} << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  result.frame.type = static_cast<PacketType>(first >> 4);
  result.frame.flags = first & 0x0F;
  result.frame.header_size = static_cast<uint32_t>(2 + i);
  result.frame.remaining_length = remaining;
  const uint64_t total = uint64_t{result.frame.header_size} + remaining;
  if (total > max_packet_size) {
    result.status = FrameStatus::kTooLarge;
  } else if (data.size() >= total) {
    result.status = FrameStatus::kOk;
  }
  return result;
}

}  // namespace ringmq
