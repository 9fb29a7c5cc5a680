#include "tools/bench/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ringmq::bench {

BufferRing::BufferRing(io_uring& ring, uint16_t group, uint32_t count, uint32_t buffer_size)
    : ring_(ring), group_(group), count_(count), buffer_size_(buffer_size) {}

absl::StatusOr<std::unique_ptr<BufferRing>> BufferRing::Create(io_uring& ring, uint16_t group, uint32_t count,
                                                               uint32_t buffer_size) {
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768) {
    return absl::InvalidArgumentError("buffer ring size must be a power of two up to 32768");
  }
  std::unique_ptr<BufferRing> self(new BufferRing(ring, group, count, buffer_size));
  // liburing 2.3 has no io_uring_setup_buf_ring: map page-aligned entries and register them.
  self->ring_bytes_ = count * sizeof(io_uring_buf);
  void* mapped = mmap(nullptr, self->ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mapped == MAP_FAILED) return absl::ResourceExhaustedError("mmap of the buffer ring failed");
  self->ring_entries_ = static_cast<io_uring_buf_ring*>(mapped);
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof(reg));
  reg.ring_addr = reinterpret_cast<uint64_t>(mapped);
  reg.ring_entries = count;
  reg.bgid = group;
  if (int err = io_uring_register_buf_ring(&ring, &reg, 0); err != 0) {
    return absl::InternalError(absl::StrCat("io_uring_register_buf_ring: ", strerror(-err)));
  }
  self->registered_ = true;
  io_uring_buf_ring_init(self->ring_entries_);
  self->storage_ = std::make_unique<uint8_t[]>(static_cast<size_t>(count) * buffer_size);
  for (uint32_t id = 0; id < count; ++id) self->Recycle(static_cast<uint16_t>(id));
  self->Commit();
  return self;
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(&ring_, group_);
  if (ring_entries_ != nullptr) munmap(ring_entries_, ring_bytes_);
}

void BufferRing::Recycle(uint16_t id) {
  io_uring_buf_ring_add(ring_entries_, storage_.get() + static_cast<size_t>(id) * buffer_size_, buffer_size_, id,
                        io_uring_buf_ring_mask(count_), pending_);
  ++pending_;
}

void BufferRing::Commit() {
  if (pending_ == 0) return;
  io_uring_buf_ring_advance(ring_entries_, pending_);
  pending_ = 0;
}

}  // namespace ringmq::bench
