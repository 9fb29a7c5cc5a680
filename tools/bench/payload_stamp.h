// The header every ringmq-bench payload starts with, so the subscriber side can measure end-to-end
// latency and detect lost, duplicated and reordered messages:
//
//   bytes 0..7   send timestamp, CLOCK_MONOTONIC nanoseconds (publisher and subscriber share the clock
//                because they run on the same machine), little-endian
//   bytes 8..11  publisher index (position of the publisher in the run), little-endian
//   bytes 12..19 per-publisher sequence number, starting at 0, little-endian
//
// The rest of the payload, up to --size, is padding. Hence the minimum --size of 20 bytes.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringmq::bench {

inline constexpr size_t kPayloadStampSize = 20;

struct PayloadStamp {
  int64_t send_time_ns = 0;
  uint32_t publisher_index = 0;
  uint64_t sequence = 0;
};

// Overwrites the first kPayloadStampSize bytes of `payload` (which must be at least that long).
void WritePayloadStamp(const PayloadStamp& stamp, std::string& payload);
// nullopt when the payload is shorter than a stamp (a message not sent by ringmq-bench).
std::optional<PayloadStamp> ReadPayloadStamp(std::string_view payload);

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNowNs();

}  // namespace ringmq::bench
