// Start-up of persistence (--data_dir): every shard's log is replayed in parallel, one thread per
// log, records are moved to their home shard's log when the shard count changed since the last run,
// and each shard gets its ShardStore.
//
// Layout of --data_dir: shard-<i>.log, one DurableLog per shard. A retained topic's record lives in
// the log of its home shard (net/home_shard.h), the shard that orders that topic's updates; a
// session's records live in the log of its client id's home shard, the shard that owns the session.
// Thread ownership: called by the broker's main thread before the shards start.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/message.h"
#include "net/broker_config.h"
#include "net/persistence/session_record.h"
#include "net/persistence/shard_store.h"

namespace ringmq {

// Holds --data_dir/lock (flock) while the broker runs: a second broker on the same directory would
// interleave its records with ours.
class DataDirLock {
 public:
  explicit DataDirLock(int fd = -1) : fd_(fd) {}
  DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~DataDirLock();

 private:
  int fd_;
};

struct RestoredState {
  DataDirLock lock;
  std::vector<std::unique_ptr<ShardStore>> stores;  // one per shard
  std::vector<MessageRef> retained;                  // every restored retained message, unexpired
  // Per shard: the sessions whose client ids hash to it, by client id (net/persistence/session_record.h).
  std::vector<std::vector<std::pair<std::string, RestoredSession>>> sessions;
  uint64_t next_outbound_seq = 1;  // above every outbound message record of every log
};

// `wake(shard)` is what a shard's store calls after each durable commit.
absl::StatusOr<RestoredState> OpenPersistence(const BrokerConfig& config, std::function<void(int)> wake);

}  // namespace ringmq
