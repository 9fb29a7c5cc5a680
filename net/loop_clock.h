// How a shard's event loop spends its time: working, or waiting in io_uring_submit_and_wait. Each
// turn's interval goes to one of two counters, so busy / (busy + wait) is the loop's utilisation.
// It costs one clock read per wait (the turn's own clock read serves for its start) and one relaxed
// add per turn.
// Thread ownership: owned by its shard thread; the counters it writes are read by the metrics thread.
#pragma once

#include <cstdint>

#include "net/shard_stats.h"

namespace ringmq {

class LoopClock {
 public:
  // A loop turn starts: the time since the last mark was a wait if one began, else work.
  void StartTurn(int64_t now_ns, ShardStats& stats) {
    Account(now_ns, stats);
    waiting_ = false;
  }
  // The loop is about to wait for completions.
  void StartWait(int64_t now_ns, ShardStats& stats) {
    Account(now_ns, stats);
    waiting_ = true;
  }

 private:
  void Account(int64_t now_ns, ShardStats& stats) {
    if (mark_ns_ != 0 && now_ns > mark_ns_) {
      (waiting_ ? stats.loop_wait_ns : stats.loop_busy_ns).Add(static_cast<uint64_t>(now_ns - mark_ns_));
    }
    mark_ns_ = now_ns;
  }

  int64_t mark_ns_ = 0;
  bool waiting_ = false;
};

}  // namespace ringmq
