// BufferRing: a provided-buffer ring registered with an io_uring, the receive buffers of all the
// worker's multishot receives. The kernel picks a free buffer per completion; the worker hands it
// back with Recycle() once it has consumed the bytes (partial packets are copied out first).
//
// Thread ownership: owned by one worker thread, like its ring.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"

namespace ringmq::bench {

class BufferRing {
 public:
  // `count` must be a power of two.
  static absl::StatusOr<std::unique_ptr<BufferRing>> Create(io_uring& ring, uint16_t group, uint32_t count,
                                                            uint32_t buffer_size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group() const { return group_; }
  std::span<const uint8_t> Buffer(uint16_t id, uint32_t length) const {
    return {storage_.get() + static_cast<size_t>(id) * buffer_size_, length};
  }
  // Returns buffer `id` to the kernel. Published in batches by Commit().
  void Recycle(uint16_t id);
  void Commit();

 private:
  BufferRing(io_uring& ring, uint16_t group, uint32_t count, uint32_t buffer_size);

  io_uring& ring_;
  const uint16_t group_;
  const uint32_t count_;
  const uint32_t buffer_size_;
  io_uring_buf_ring* ring_entries_ = nullptr;
  size_t ring_bytes_ = 0;
  std::unique_ptr<uint8_t[]> storage_;
  int pending_ = 0;
  bool registered_ = false;
};

}  // namespace ringmq::bench
