// Input backpressure on a shard. The broker never queues without bound on behalf of a client that
// sends faster than the broker can pass its messages on; it stops reading from it instead, and TCP
// flow control slows the client down. A connection's input is paused while
//  - the shard is congested: a queue to another shard filled up (the envelopes wait in this shard's
//    backlog, in order). Every connection of the shard that is sending stops reading at once; the
//    idle ones (most, at a million connections) stop at their next input, without a cancelled
//    receive each. Reading resumes only when the backlog is gone and every outgoing queue is at
//    least half free, so a congested shard neither buffers its clients' input nor flips between
//    reading and not reading, or
//  - its own output (acknowledgements, deliveries) is backed up beyond --max_queued_bytes because the
//    client does not read, or
//  - a subscriber's full QoS 1/2 queue, on any shard, holds it back (queue_backpressure.cc), or
//  - an input limit holds it (input_limits.cc): it is beyond --max_publish_rate or
//    --max_publish_bytes_rate, or it publishes while the broker is above --memory_limit.
// Paused input is kept unparsed and the connection's receive is cancelled at once, so a paused
// connection holds at most what had already arrived; the kernel's socket buffer fills and the sender
// blocks.
#include "net/bytes.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

bool MqttProtocol::ShouldPauseInput(const Connection* conn) const {
  if (conn->state != Connection::State::kConnected) return false;
  return conn->awaiting_suback || CrossShardBacklogged() || conn->pending_output() > config_.max_queued_bytes ||
         HeldByLimits(conn) || HeldByFullQueues(conn);
}

void MqttProtocol::PauseInput(Connection* conn, std::span<const uint8_t> unparsed) {
  if (!unparsed.empty()) Io(conn).inbound.append(AsText(unparsed));
  if (!conn->reading_paused) {
    conn->reading_paused = true;
    paused_.push_back(conn);
  }
  io_.StopReading(conn);
}

void MqttProtocol::EnterCongestion() {
  congested_ = true;
  stats_.congestion_pauses.Add(1);
  // Waiting for each sender's next input instead (ShouldPauseInput) lets every one of them add a
  // whole receive buffer to the backlog first: measured, several times the peak RSS under overload.
  for (Connection* conn : io_.connections()) {
    const bool sending = now_ms_ - conn->last_activity_ms < kRecentInputMs;
    if (conn->state == Connection::State::kConnected && sending) PauseInput(conn, {});
  }
}

bool MqttProtocol::QueuesHalfFree() {
  for (int to = 0; to < mesh_.shard_count(); ++to) {
    if (to == index_) continue;
    SpscQueue<Envelope>& queue = mesh_.Queue(index_, to);
    if (queue.FreeSlots() < queue.capacity() / 2) return false;
  }
  return true;
}

void MqttProtocol::UpdateCongestion() {
  if (backlog_count_ == 0 && QueuesHalfFree()) {
    congested_ = false;
    resume_check_ = true;
    return;
  }
  // Ask the consumers to wake us as they drain, so we notice when the queues have room again.
  for (int to = 0; to < mesh_.shard_count(); ++to) {
    if (to != index_) mesh_.MarkWaitingForSpace(index_, to);
  }
}

void MqttProtocol::ResumePaused() {
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
    conn->last_activity_ms = now_ms_;  // we were deaf to it, not it silent: its keep-alive starts over
    if (conn->io != nullptr) conn->io->inbound_since_ms = now_ms_;  // and so does its incomplete packet's
    ConsumeInput(conn, {});  // parses what was held while paused
    io_.ResumeReading(conn);
  }
}

}  // namespace ringmq
