#include "tools/bench/payload_stamp.h"

#include <time.h>


namespace ringmq::bench {
namespace {

// Explicit little-endian byte order keeps the format independent of the host.
template <class T>
void StoreLe(T value, char* out) {
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xFF);
}

template <class T>
T LoadLe(const char* in) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return static_cast<T>(value);
}

}  // namespace

void WritePayloadStamp(const PayloadStamp& stamp, std::string& payload) {
  char* out = payload.data();
  StoreLe<int64_t>(stamp.send_time_ns, out);
  StoreLe<uint32_t>(stamp.publisher_index, out + 8);
  StoreLe<uint64_t>(stamp.sequence, out + 12);
}

std::optional<PayloadStamp> ReadPayloadStamp(std::string_view payload) {
  if (payload.size() < kPayloadStampSize) return std::nullopt;
  const char* in = payload.data();
  return PayloadStamp{LoadLe<int64_t>(in), LoadLe<uint32_t>(in + 8), LoadLe<uint64_t>(in + 12)};
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace ringmq::bench
