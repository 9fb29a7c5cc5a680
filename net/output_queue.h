// The output of one connection on its way to the kernel, as an ordered byte stream made of owned
// bytes (encoded packets) and borrowed payloads (the payload of a shared Message, held by a MessageRef
// instead of being copied for every subscriber). A send gathers the front of the stream into an iovec
// list; what the kernel took is then consumed from the front, wherever it ends (inside a payload, across
// segments). Appending never moves bytes already queued, so a send in flight stays valid meanwhile.
//
// Zero-copy sends: the kernel may read a buffer until the send's notification, after the send itself
// completed. While a notification is outstanding, sent segments are retired (kept alive) instead of
// freed, and all retired segments go when the last outstanding notification arrives.
//
// Thread ownership: part of a Connection's IoBuffers; only that connection's shard touches it.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace ringmq {

class OutputQueue {
 public:
  // The front of the stream, gathered for one sendmsg: `message` points into the queue and stays
  // valid until the next Gather (its iovecs reference queued bytes, which stay until consumed).
  struct Gathered {
    const msghdr* message = nullptr;
    size_t bytes = 0;           // the bytes the iovecs cover
    size_t borrowed_bytes = 0;  // of which borrowed payload bytes (zero-copy pays only for those)
  };

  OutputQueue() = default;
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  // Takes `bytes` as one owned segment (empty bytes add nothing).
  void Append(std::string bytes);
  // References the payload of `message` until it is sent (an empty payload adds nothing).
  void AppendPayload(MessageRef message);

  // Unsent bytes: what the connection's output bound (--max_queued_bytes) counts.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Nothing queued, nothing retired, no notification awaited: the queue holds no memory worth keeping.
  bool idle() const { return segments_.empty() && retired_.empty() && notifications_awaited_ == 0; }

  // Gathers the unsent bytes from the front into at most `max_iov` iovecs (the kernel takes IOV_MAX).
  Gathered Gather(size_t max_iov);
  // The kernel took the first `bytes` of the stream (at most what was gathered).
  void Consume(size_t bytes);
  // The connection failed: nothing more will be sent (what the kernel may still read is retired).
  // Like Consume, only while no send is in flight.
  void Clear();

  // A zero-copy send completed and its notification is to come; true when it is the only one awaited.
  bool ExpectNotification() { return notifications_awaited_++ == 0; }
  // A notification arrived; true when none is awaited any more (the retired segments are freed then).
  bool Notified();
  bool awaiting_notification() const { return notifications_awaited_ > 0; }
  // Bytes sent but kept alive for the kernel.
  size_t retired_bytes() const { return retired_bytes_; }

 private:
  struct Segment {
    std::string owned;
    MessageRef borrowed;  // when set, the segment is this message's payload and `owned` is empty
    std::string_view bytes() const { return borrowed ? borrowed->payload() : std::string_view(owned); }
  };

  void DropFront();

  // A list, so that appending and dropping never move a segment the kernel may be reading.
  std::list<Segment> segments_;
  std::list<Segment> retired_;
  size_t front_offset_ = 0;  // bytes of the front segment already sent
  size_t size_ = 0;
  size_t retired_bytes_ = 0;
  uint32_t notifications_awaited_ = 0;
  std::vector<iovec> iov_;
  msghdr message_{};
};

}  // namespace ringmq
