// The broker's clock: CLOCK_MONOTONIC in milliseconds (timeouts, keep-alive, expiry deadlines), and in
// nanoseconds where durations are measured (net/loop_clock.h).
// Thread ownership: stateless, any thread.
#pragma once

#include <cstdint>
#include <ctime>

namespace ringmq {

inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace ringmq
