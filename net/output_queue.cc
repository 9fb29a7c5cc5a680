#include "net/output_queue.h"

#include <algorithm>
#include <utility>

namespace ringmq {
namespace {

// Gathering scratch beyond this many iovecs (a burst of large messages) is freed once the queue drains.
constexpr size_t kKeptIovCapacity = 64;

}  // namespace

void OutputQueue::Append(std::string bytes) {
  if (bytes.empty()) return;
  size_ += bytes.size();
  segments_.push_back(Segment{std::move(bytes), MessageRef()});
}

void OutputQueue::AppendPayload(MessageRef message) {
  if (message->payload().empty()) return;
  size_ += message->payload().size();
  segments_.push_back(Segment{std::string(), std::move(message)});
}

OutputQueue::Gathered OutputQueue::Gather(size_t max_iov) {
  iov_.clear();
  Gathered gathered;
  size_t skip = front_offset_;
  for (const Segment& segment : segments_) {
    if (iov_.size() == max_iov) break;
    const std::string_view bytes = segment.bytes().substr(skip);
    skip = 0;
    iov_.push_back(iovec{const_cast<char*>(bytes.data()), bytes.size()});
    gathered.bytes += bytes.size();
    if (segment.borrowed) gathered.borrowed_bytes += bytes.size();
  }
  message_ = msghdr{};
  message_.msg_iov = iov_.data();
  message_.msg_iovlen = iov_.size();
  gathered.message = &message_;
  return gathered;
}

void OutputQueue::Consume(size_t bytes) {
  bytes = std::min(bytes, size_);
  size_ -= bytes;
  while (bytes > 0) {
    const size_t left_in_front = segments_.front().bytes().size() - front_offset_;
    if (bytes < left_in_front) {
      front_offset_ += bytes;
      return;
    }
    bytes -= left_in_front;
    DropFront();
  }
  if (segments_.empty() && iov_.capacity() > kKeptIovCapacity) std::vector<iovec>().swap(iov_);
}

void OutputQueue::Clear() {
  while (!segments_.empty()) DropFront();
  size_ = 0;
  std::vector<iovec>().swap(iov_);
}

void OutputQueue::DropFront() {
  front_offset_ = 0;
  if (notifications_awaited_ == 0) {
    segments_.pop_front();
    return;
  }
  retired_bytes_ += segments_.front().bytes().size();
  retired_.splice(retired_.end(), segments_, segments_.begin());
}

bool OutputQueue::Notified() {
  if (notifications_awaited_ == 0 || --notifications_awaited_ > 0) return false;
  retired_.clear();
  retired_bytes_ = 0;
  return true;
}

}  // namespace ringmq
