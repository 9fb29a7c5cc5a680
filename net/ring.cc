#include "net/ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/log.h"

namespace ringmq {
namespace {

constexpr uint64_t kOpMask = 0x7;

struct SetupAttempt {
  unsigned flags;
  const char* name;
};

// Multishot recv (6.0) and multishot accept (5.19) are flags, not opcodes, so the probe cannot see
// them; opcodes that arrived in the same releases stand in for them.
bool ProbeOp(io_uring_probe* probe, int op) { return probe && io_uring_opcode_supported(probe, op); }

}  // namespace

absl::StatusOr<std::unique_ptr<Ring>> Ring::Create(const RingOptions& options, int shard_index) {
  std::unique_ptr<Ring> ring(new Ring());
  if (absl::Status status = ring->SetUp(options, shard_index); !status.ok()) return status;
  return ring;
}

absl::Status Ring::SetUp(const RingOptions& options, int shard_index) {
  const SetupAttempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single-issuer, defer-taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop-taskrun"},
      {0, "plain"},
  };
  int err = 0;
  for (const SetupAttempt& attempt : attempts) {
    if (!options.single_issuer && (attempt.flags & IORING_SETUP_SINGLE_ISSUER)) continue;
    io_uring_params params{};
    params.flags = attempt.flags | IORING_SETUP_CQSIZE;
    params.cq_entries = options.entries * 4;
    err = io_uring_queue_init_params(options.entries, &ring_, &params);
    if (err == 0) {
      if (shard_index == 0) Log(LogLevel::kInfo, "io_uring set up as %s", attempt.name);
      break;
    }
    if (err != -EINVAL) break;
  }
  if (err != 0) {
    return absl::InternalError(absl::StrCat("io_uring_queue_init failed: ", std::strerror(-err)));
  }
  initialized_ = true;
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  multishot_recv_ = ProbeOp(probe, IORING_OP_SEND_ZC);
  if (probe) io_uring_free_probe(probe);
  if (!multishot_recv_ && shard_index == 0) {
    Log(LogLevel::kWarning, "kernel lacks multishot recv (needs 6.0); using single-shot receives");
  }
  buffer_count_ = options.recv_buffer_count;
  buffer_size_ = options.recv_buffer_size;
  return SetUpBufferRing();
}

absl::Status Ring::SetUpBufferRing() {
  if (buffer_count_ == 0 || (buffer_count_ & (buffer_count_ - 1)) != 0 || buffer_count_ > 32768) {
    return absl::InvalidArgumentError("recv_buffer_count must be a power of two up to 32768");
  }
  buf_ring_bytes_ = buffer_count_ * sizeof(io_uring_buf);
  void* mapped = mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mapped == MAP_FAILED) return absl::ResourceExhaustedError("mmap of the buffer ring failed");
  buf_ring_ = static_cast<io_uring_buf_ring*>(mapped);
  io_uring_buf_ring_init(buf_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
  reg.ring_entries = buffer_count_;
  reg.bgid = kBufferGroup;
  if (int err = io_uring_register_buf_ring(&ring_, &reg, 0); err != 0) {
    return absl::InternalError(
        absl::StrCat("io_uring_register_buf_ring failed (kernel 5.19+ needed): ", std::strerror(-err)));
  }
  const size_t pool_bytes = static_cast<size_t>(buffer_count_) * buffer_size_;
  buffers_.reset(new uint8_t[pool_bytes]);
  // Touch the pool once now: it is a fixed cost of the shard, and paying it up front keeps the
  // broker's RSS flat (and honest per connection) instead of creeping up as buffers first get used.
  std::memset(buffers_.get(), 0, pool_bytes);
  const int mask = io_uring_buf_ring_mask(buffer_count_);
  for (unsigned i = 0; i < buffer_count_; ++i) {
    io_uring_buf_ring_add(buf_ring_, buffers_.get() + static_cast<size_t>(i) * buffer_size_, buffer_size_,
                          static_cast<uint16_t>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(buffer_count_));
  return absl::OkStatus();
}

bool Ring::SendmsgZcSupported() {
  io_uring_probe* probe = io_uring_get_probe();
  const bool supported = ProbeOp(probe, IORING_OP_SENDMSG_ZC);
  if (probe) io_uring_free_probe(probe);
  return supported;
}

Ring::~Ring() {
  if (!initialized_) return;
  if (buf_ring_) {
    io_uring_unregister_buf_ring(&ring_, kBufferGroup);
    munmap(buf_ring_, buf_ring_bytes_);
  }
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::NextSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // The submission queue is full: hand it to the kernel and take a fresh slot.
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Ring::PrepMultishotAccept(int listen_fd, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kAccept));
}

void Ring::PrepRecv(int fd, void* target, bool multishot) {
  io_uring_sqe* sqe = NextSqe();
  if (multishot && multishot_recv_) {
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  } else {
    io_uring_prep_recv(sqe, fd, nullptr, buffer_size_, 0);
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kRecv));
}

void Ring::PrepSend(int fd, const void* data, size_t size, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_send(sqe, fd, data, size, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kSend));
}

void Ring::PrepSendmsg(int fd, const msghdr* msg, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kSend));
}

void Ring::PrepSendmsgZc(int fd, const msghdr* msg, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_sendmsg_zc(sqe, fd, msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kSend));
}

void Ring::PrepRead(int fd, void* buffer, size_t size, Op op, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_read(sqe, fd, buffer, static_cast<unsigned>(size), 0);
  io_uring_sqe_set_data64(sqe, UserData(target, op));
}

void Ring::PrepCancel(void* target, Op op) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_cancel64(sqe, UserData(target, op), 0);
  io_uring_sqe_set_data64(sqe, UserData(nullptr, Op::kCancel));
}

void Ring::PrepConnect(int fd, const sockaddr* address, socklen_t length, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_connect(sqe, fd, address, length);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kConnect));
}

void Ring::PrepTimeout(__kernel_timespec* timeout, void* target) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_timeout(sqe, timeout, 0, 0);
  io_uring_sqe_set_data64(sqe, UserData(target, Op::kTimeout));
}

void Ring::Submit() { io_uring_submit(&ring_); }

void Ring::SubmitAndWait() { io_uring_submit_and_wait(&ring_, 1); }

void Ring::SubmitAndWait(int64_t timeout_us) {
  __kernel_timespec ts{};
  ts.tv_sec = timeout_us / 1000000;
  ts.tv_nsec = (timeout_us % 1000000) * 1000;
  io_uring_cqe* cqe = nullptr;
  io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
}

Completion Ring::Decode(const io_uring_cqe* cqe) {
  const uint64_t data = cqe->user_data;
  return Completion{static_cast<Op>(data & kOpMask), reinterpret_cast<void*>(data & ~kOpMask), cqe->res,
                    cqe->flags};
}

std::span<const uint8_t> Ring::BufferData(uint16_t buffer_id, size_t size) const {
  return {buffers_.get() + static_cast<size_t>(buffer_id) * buffer_size_, size};
}

void Ring::ReturnBuffer(uint16_t buffer_id) {
  io_uring_buf_ring_add(buf_ring_, buffers_.get() + static_cast<size_t>(buffer_id) * buffer_size_,
                        buffer_size_, buffer_id, io_uring_buf_ring_mask(buffer_count_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

}  // namespace ringmq
