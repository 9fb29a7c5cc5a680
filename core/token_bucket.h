// A token bucket that lends: taking always succeeds and may leave the bucket in debt, and the holder
// waits until the debt is paid. That is how a broker limits a client's publish rate without dropping
// anything: the message that overdraws the bucket is handled, and the client's input is not read
// again until WaitMs() is 0 (TCP flow control then slows the client down).
//
// Tokens are kept in thousandths, so a refill of `rate` per second is exact per millisecond.
// Pure: no I/O, no clock of its own (callers pass a monotonic time in milliseconds).
// Thread ownership: none of its own; single-threaded, it belongs to whoever owns it (a shard).
#pragma once

#include <algorithm>
#include <cstdint>

namespace ringmq {

class TokenBucket {
 public:
  TokenBucket() = default;
  // `rate` tokens per second (> 0); the bucket holds at most `burst` tokens (>= 1) and starts full.
  TokenBucket(uint64_t rate, uint64_t burst, int64_t now_ms)
      : rate_(static_cast<int64_t>(rate)),
        capacity_milli_(static_cast<int64_t>(std::max<uint64_t>(burst, 1)) * 1000),
        tokens_milli_(capacity_milli_),
        last_ms_(now_ms) {}

  // Takes `n` tokens at `now_ms`, going into debt if the bucket holds fewer.
  void Take(uint64_t n, int64_t now_ms) {
    Refill(now_ms);
    tokens_milli_ -= static_cast<int64_t>(n) * 1000;
  }

  // Milliseconds from `now_ms` until the bucket is out of debt; 0 when it is not in debt.
  int64_t WaitMs(int64_t now_ms) const {
    const int64_t tokens = TokensAt(now_ms);
    if (tokens >= 0 || rate_ == 0) return 0;
    return (-tokens + rate_ - 1) / rate_;  // rate_ thousandths of a token come back per millisecond
  }

  // Whole tokens held at `now_ms` (negative: debt).
  int64_t Tokens(int64_t now_ms) const { return TokensAt(now_ms) / 1000; }

 private:
  int64_t TokensAt(int64_t now_ms) const {
    if (now_ms <= last_ms_ || tokens_milli_ >= capacity_milli_) return tokens_milli_;
    // Bounded before multiplying: a long idle time times a high rate must not overflow.
    const int64_t missing = capacity_milli_ - tokens_milli_;
    const int64_t elapsed = std::min(now_ms - last_ms_, missing / std::max<int64_t>(rate_, 1) + 1);
    return std::min(capacity_milli_, tokens_milli_ + elapsed * rate_);
  }
  void Refill(int64_t now_ms) {
    tokens_milli_ = TokensAt(now_ms);
    last_ms_ = std::max(last_ms_, now_ms);
  }

  int64_t rate_ = 0;  // thousandths of a token per millisecond = tokens per second
  int64_t capacity_milli_ = 1000;
  int64_t tokens_milli_ = 1000;
  int64_t last_ms_ = 0;
};

}  // namespace ringmq
