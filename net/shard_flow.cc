// Input backpressure on a shard. The broker never queues without bound on behalf of a client that
// sends faster than the broker can pass its messages on; it stops reading from it instead, and TCP
// flow control slows the client down. A connection's input is paused while
//  - a queue to another shard is full (the envelopes wait in this shard's backlog), or
//  - its own output (acknowledgements, deliveries) is backed up beyond --max_queued_bytes because the
//    client does not read.
// Paused input is kept unparsed; once more than kPausedInputLimit bytes are held, the receive is
// cancelled so the kernel's socket buffer fills and the sender blocks.
#include "net/shard.h"

namespace ringmq {
namespace {

constexpr size_t kPausedInputLimit = 256 * 1024;

}  // namespace

bool Shard::ShouldPauseInput(const Connection* conn) const {
  if (conn->state != Connection::State::kConnected) return false;
  return conn->awaiting_suback || CrossShardBacklogged() || conn->pending_output() > config_.max_queued_bytes;
}

void Shard::PauseInput(Connection* conn, std::span<const uint8_t> unparsed) {
  Io(conn).inbound.append(reinterpret_cast<const char*>(unparsed.data()), unparsed.size());
  if (!conn->reading_paused) {
    conn->reading_paused = true;
    paused_.push_back(conn);
  }
  if (conn->io->inbound.size() > kPausedInputLimit && conn->recv_armed) ring_->PrepCancel(conn, Op::kRecv);
}

void Shard::ResumePaused() {
  resume_check_ = false;
  std::vector<Connection*> waiting;
  waiting.swap(paused_);
  for (Connection* conn : waiting) {
    if (conn->state == Connection::State::kClosing) {
      conn->reading_paused = false;
      continue;
    }
    if (ShouldPauseInput(conn)) {
      paused_.push_back(conn);
      continue;
    }
    conn->reading_paused = false;
    if (conn->has_inbound()) {
      std::string pending = std::move(conn->io->inbound);
      conn->io->inbound.clear();
      ParsePackets(conn, {reinterpret_cast<const uint8_t*>(pending.data()), pending.size()});
    }
    if (conn->state != Connection::State::kClosing && !conn->reading_paused && !conn->recv_armed) ArmRecv(conn);
  }
}

}  // namespace ringmq
