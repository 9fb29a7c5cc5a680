// The raw io_uring submissions of ringmq-bench, kept in one place: each function takes an SQE, fills
// it in and tags it with user_data naming the operation and the connection it is for.
//
// Thread ownership: stateless functions; the ring they fill belongs to one worker thread.
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <cstdint>

namespace ringmq::bench {

enum class UringOp : uint8_t { kConnect = 1, kRecv = 2, kSend = 3, kTick = 4 };

struct CompletionTag {
  UringOp op;
  uint32_t connection;  // worker-local connection slot
};

uint64_t EncodeTag(UringOp op, uint32_t connection);
CompletionTag DecodeTag(uint64_t user_data);

// Takes an SQE, submitting what is queued when the submission queue is full. nullptr only if the
// ring is broken.
io_uring_sqe* GetSqe(io_uring& ring);

void PrepareConnect(io_uring_sqe* sqe, int fd, const sockaddr* addr, socklen_t addr_len, uint32_t connection);
// Multishot receive into the provided-buffer group `buffer_group`.
void PrepareRecvMultishot(io_uring_sqe* sqe, int fd, uint16_t buffer_group, uint32_t connection);
void PrepareSend(io_uring_sqe* sqe, int fd, const void* data, size_t size, uint32_t connection);
// A tick of the worker's timer; `timeout` must stay valid until the SQE is submitted. The
// completion's connection field is kFastTickTag for a fast tick, 0 for the slow one.
inline constexpr uint32_t kFastTickTag = 1;
void PrepareTick(io_uring_sqe* sqe, __kernel_timespec* timeout, bool fast);

}  // namespace ringmq::bench
