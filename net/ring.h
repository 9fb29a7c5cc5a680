// A shard's io_uring: set-up with feature fallback, the provided-buffer ring for receives, and every
// raw SQE preparation of the project in one place (helio's uring_proactor pattern), so no other file
// touches an io_uring_sqe. ringmq-bench's workers use it too (connects and timer ticks are theirs).
//
// Thread ownership: owned by one shard (or load-generator worker) thread; only that thread calls any
// method after Create.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/uring_compat.h"

namespace ringmq {

// Which kind of operation a completion belongs to; kept in the low three bits of user_data, so a
// target must be 8-byte aligned. kConnect and kTimeout are ringmq-bench's.
enum class Op : uint8_t { kAccept = 1, kRecv = 2, kSend = 3, kWake = 4, kCancel = 5, kConnect = 6, kTimeout = 7 };

struct RingOptions {
  unsigned entries = 4096;
  unsigned recv_buffer_count = 1024;  // power of two
  unsigned recv_buffer_size = 8192;
  // SINGLE_ISSUER|DEFER_TASKRUN ties the ring to the thread that creates it. A ring created on one
  // thread and driven by another (ringmq-bench sets its workers up on the main thread, so that a
  // failure is reported before any starts) must do without: it gets COOP_TASKRUN or plain.
  bool single_issuer = true;
};

struct Completion {
  Op op;
  void* target;  // the Connection/Listener the op was issued for (nullptr for kWake)
  int32_t res;
  uint32_t flags;
  bool more() const { return flags & IORING_CQE_F_MORE; }
  bool has_buffer() const { return flags & IORING_CQE_F_BUFFER; }
  uint16_t buffer_id() const { return static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT); }
};

class Ring {
 public:
  // Tries SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN, then plain; logs once what it got.
  static absl::StatusOr<std::unique_ptr<Ring>> Create(const RingOptions& options, int shard_index);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  void PrepMultishotAccept(int listen_fd, void* target);
  void PrepRecv(int fd, void* target, bool multishot);  // into the provided-buffer ring
  void PrepSend(int fd, const void* data, size_t size, void* target);
  void PrepSendmsg(int fd, const msghdr* msg, void* target);
  // Zero-copy: the kernel reads the buffers until a second completion for `target` (IORING_CQE_F_NOTIF)
  // says it is done; the first one carries IORING_CQE_F_MORE when that notification is to come.
  void PrepSendmsgZc(int fd, const msghdr* msg, void* target);
  void PrepRead(int fd, void* buffer, size_t size, Op op, void* target);
  void PrepCancel(void* target, Op op);  // cancels the op with that user_data
  void PrepConnect(int fd, const sockaddr* address, socklen_t length, void* target);
  // A completion (kTimeout, res -ETIME) once `timeout` has passed; it must stay valid until submitted.
  void PrepTimeout(__kernel_timespec* timeout, void* target);

  // Submits what is queued and waits until at least one completion or the timeout.
  void SubmitAndWait(int64_t timeout_us);
  // The same without a time limit (for a loop that always has a timeout of its own armed).
  void SubmitAndWait();
  void Submit();
  // Calls handle(const Completion&) for every completion available, returns how many.
  template <class Handler>
  unsigned ForEachCompletion(Handler&& handle) {
    unsigned head;
    unsigned count = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      handle(Decode(cqe));
      ++count;
    }
    io_uring_cq_advance(&ring_, count);
    return count;
  }

  // The bytes of a received provided buffer, and giving it back to the kernel afterwards.
  std::span<const uint8_t> BufferData(uint16_t buffer_id, size_t size) const;
  void ReturnBuffer(uint16_t buffer_id);

  bool multishot_recv_supported() const { return multishot_recv_; }
  // Whether this kernel's io_uring offers IORING_OP_SENDMSG_ZC (6.1+); probes a short-lived ring.
  static bool SendmsgZcSupported();

 private:
  Ring() = default;
  absl::Status SetUp(const RingOptions& options, int shard_index);
  absl::Status SetUpBufferRing();
  io_uring_sqe* NextSqe();
  static Completion Decode(const io_uring_cqe* cqe);
  static uint64_t UserData(void* target, Op op) { return reinterpret_cast<uint64_t>(target) | static_cast<uint64_t>(op); }

  io_uring ring_{};
  bool initialized_ = false;
  bool multishot_recv_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  std::unique_ptr<uint8_t[]> buffers_;
  unsigned buffer_count_ = 0;
  unsigned buffer_size_ = 0;
  static constexpr uint16_t kBufferGroup = 0;
};

}  // namespace ringmq
