#include "tools/bench/uring_ops.h"

namespace ringmq::bench {

uint64_t EncodeTag(UringOp op, uint32_t connection) {
  return (static_cast<uint64_t>(op) << 32) | connection;
}

CompletionTag DecodeTag(uint64_t user_data) {
  return {static_cast<UringOp>(user_data >> 32), static_cast<uint32_t>(user_data)};
}

io_uring_sqe* GetSqe(io_uring& ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe == nullptr) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

void PrepareConnect(io_uring_sqe* sqe, int fd, const sockaddr* addr, socklen_t addr_len, uint32_t connection) {
  io_uring_prep_connect(sqe, fd, addr, addr_len);
  io_uring_sqe_set_data64(sqe, EncodeTag(UringOp::kConnect, connection));
}

void PrepareRecvMultishot(io_uring_sqe* sqe, int fd, uint16_t buffer_group, uint32_t connection) {
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffer_group;
  io_uring_sqe_set_data64(sqe, EncodeTag(UringOp::kRecv, connection));
}

void PrepareSend(io_uring_sqe* sqe, int fd, const void* data, size_t size, uint32_t connection) {
  io_uring_prep_send(sqe, fd, data, size, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, EncodeTag(UringOp::kSend, connection));
}

void PrepareTick(io_uring_sqe* sqe, __kernel_timespec* timeout, bool fast) {
  io_uring_prep_timeout(sqe, timeout, 0, 0);
  io_uring_sqe_set_data64(sqe, EncodeTag(UringOp::kTick, fast ? kFastTickTag : 0));
}

}  // namespace ringmq::bench
