#include "net/shard_mesh.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace ringmq {

ShardMesh::ShardMesh(int shard_count, size_t queue_capacity)
    : shard_count_(shard_count),
      sleep_flags_(new Flag[shard_count]),
      waiting_(new Flag[static_cast<size_t>(shard_count) * shard_count]) {
  queues_.reserve(static_cast<size_t>(shard_count) * shard_count);
  for (int i = 0; i < shard_count * shard_count; ++i) {
    queues_.push_back(std::make_unique<SpscQueue<Envelope>>(queue_capacity));
  }
  for (int i = 0; i < shard_count; ++i) wake_fds_.push_back(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

ShardMesh::~ShardMesh() {
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

void ShardMesh::MarkSleeping(int shard, bool sleeping) {
  sleep_flags_[shard].value.store(sleeping, std::memory_order_seq_cst);
}

void ShardMesh::WakeIfSleeping(int shard) {
  // Pairs with the consumer's MarkSleeping(true) + re-check of its queues: either the consumer sees
  // our items, or we see it asleep and wake it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleep_flags_[shard].Claim()) Wake(shard);
}

void ShardMesh::Wake(int shard) {
  uint64_t one = 1;
  ssize_t ignored = write(wake_fds_[shard], &one, sizeof(one));
  (void)ignored;
}

}  // namespace ringmq
