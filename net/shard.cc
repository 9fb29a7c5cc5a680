// The shard's event loop: completions, accepting, receiving, sending, closing, timers, shutdown.
#include "net/shard.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cerrno>
#include <cstring>
#include <utility>

#include "net/bridge/bridge_set.h"
#include "net/bytes.h"
#include "net/log.h"
#include "net/monotonic_clock.h"

namespace ringmq {
namespace {

constexpr int64_t kAbortRetryMs = 1000;     // a connection still there after Abort is aborted again
constexpr int64_t kCloseGraceMs = 3000;     // a closing socket whose peer will not read is cut after this
constexpr int64_t kShutdownGraceMs = 2000;  // how long shutdown waits for wills and last sends
constexpr size_t kIdleBufferCapacity = 16384;
constexpr size_t kKeptAcceptedCapacity = 1024;  // entries kept between ticks after a connect storm
constexpr size_t kIoPoolSize = 256;

uint64_t OpenFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// The kernel takes at most IOV_MAX iovecs per sendmsg; the rest of the queue goes in the next one.
constexpr size_t kMaxIov = IOV_MAX;

// One sendmsg of the front of the connection's queue. Zero-copy when it carries enough borrowed payload
// bytes to pay for the page pinning and the notification, and while the bytes retired for earlier
// zero-copy sends stay within the connection's output bound: past it, plain sends (no notification)
// let the awaited notifications arrive and the retired bytes go.
void SendQueue(Ring& ring, Connection* conn, const BrokerConfig& config, uint64_t max_queued_bytes) {
  OutputQueue& queue = conn->io->queue;
  const OutputQueue::Gathered gathered = queue.Gather(kMaxIov);
  const bool zerocopy = config.zerocopy_send_threshold > 0 &&
                        gathered.borrowed_bytes >= config.zerocopy_send_threshold &&
                        queue.retired_bytes() <= max_queued_bytes;
  if (zerocopy) {
    ring.PrepSendmsgZc(conn->fd, gathered.message, conn);
  } else {
    ring.PrepSendmsg(conn->fd, gathered.message, conn);
  }
}

// Big bursts grow the output strings; an idle connection should not keep that memory.
void TrimIdle(std::string& buffer) {
  if (buffer.empty() && buffer.capacity() > kIdleBufferCapacity) std::string().swap(buffer);
}

}  // namespace

Shard::Shard(int index, const BrokerConfig& config, ShardMesh& mesh, BrokerShared& shared,
             std::vector<ShardStats>& all_stats, std::vector<int> listen_fds)
    : index_(index),
      config_(config),
      mesh_(mesh),
      shared_(shared),
      stats_(all_stats[index]),
      protocol_(index, config, mesh, shared, all_stats, *this) {
  for (int fd : listen_fds) listeners_.push_back(Listener{fd, false});
}

Shard::~Shard() {
  for (Connection* conn : connections_) {
    if (conn->fd >= 0) close(conn->fd);
    delete conn;
  }
  for (Listener& listener : listeners_) {
    if (listener.fd >= 0) close(listener.fd);
  }
}

absl::Status Shard::Run() {
  RingOptions options;
  options.recv_buffer_count = config_.recv_buffer_count;
  options.recv_buffer_size = config_.recv_buffer_size;
  absl::StatusOr<std::unique_ptr<Ring>> ring = Ring::Create(options, index_);
  if (!ring.ok()) return ring.status();
  ring_ = std::move(*ring);
  now_ms_ = MonotonicMs();
  next_tick_ms_ = now_ms_ + kLoopTickMs;
  protocol_.BeginTurn(now_ms_);
  // Routes of restored sessions (and anything else queued to this shard before it ran) first.
  protocol_.DrainInbox();
  for (Listener& listener : listeners_) ArmAccept(&listener);
  ArmWake();
  MakeBridges();

  for (;;) {
    const int64_t now_ns = MonotonicNs();
    now_ms_ = now_ns / 1000000;
    loop_clock_.StartTurn(now_ns, stats_);
    protocol_.BeginTurn(now_ms_);
    if (!stopping_ && shared_.stopping.load(std::memory_order_acquire)) BeginShutdown();
    // Completions first: a handed-over CONNECT that takes over a session must come after whatever
    // the old connection's socket delivered in the same wait (a DISCONNECT, say).
    unsigned completions = ring_->ForEachCompletion([this](const Completion& c) { Dispatch(c); });
    protocol_.DrainInbox();
    protocol_.ResumePausedIfDue();
    if (now_ms_ >= next_tick_ms_) OnTick();
    if (protocol_.limits().memory_limit > 0 && now_ms_ >= next_memory_check_ms_) CheckMemory();
    protocol_.FinishTurn();  // retained deliveries; the group commit, releasing acknowledgements now durable
    FlushOutputs();
    ReleaseClosed();
    protocol_.PublishQueuedEnvelopes();
    if (stopping_ && ShutdownComplete()) break;
    if (protocol_.deferred_logins()) {
      // Logins wait for the next turn's hashing budget: look again at once, but let the kernel run
      // its deferred work first (DEFER_TASKRUN posts completions only when the ring is entered to
      // wait), or the other clients' input would sit behind the whole backlog of logins.
      protocol_.RecheckPaused();
      ring_->SubmitAndWait(0);
      continue;
    }
    if (completions > 0 || protocol_.retained_work_ready()) {  // retained messages to send on: no waiting
      ring_->Submit();
      continue;
    }
    mesh_.MarkSleeping(index_, true);
    if (!protocol_.InboxReady()) {
      loop_clock_.StartWait(MonotonicNs(), stats_);
      ring_->SubmitAndWait(std::max<int64_t>(1, next_tick_ms_ - now_ms_) * 1000);
    }
    mesh_.MarkSleeping(index_, false);
  }
  return absl::OkStatus();
}

void Shard::Dispatch(const Completion& c) {
  switch (c.op) {
    case Op::kAccept:
      OnAccept(static_cast<Listener*>(c.target), c);
      break;
    case Op::kRecv:
      OnRecv(static_cast<Connection*>(c.target), c);
      break;
    case Op::kSend: {
      auto* conn = static_cast<Connection*>(c.target);
      if (c.flags & IORING_CQE_F_NOTIF) {  // the kernel is done with a zero-copy send's buffers
        if (conn->io->queue.Notified()) --conn->ops_in_flight;
        if (conn->state == Connection::State::kClosing) {
          MarkForRelease(conn);
        } else {
          ReleaseBuffersIfIdle(conn);
        }
        break;
      }
      // A zero-copy send's buffers stay the kernel's until its notification: the connection, which
      // holds them, must outlive it.
      if (c.more() && conn->io->queue.ExpectNotification()) ++conn->ops_in_flight;
      OnSend(conn, c.res);
      break;
    }
    case Op::kWake:
      wake_armed_ = false;
      ArmWake();
      break;
    case Op::kConnect:  // the broker connects only to bridges' remote brokers
      BridgeSet::OnConnectDone(c.target, c.res, now_ms_);
      break;
    case Op::kCancel:
    case Op::kTimeout:  // ringmq-bench's operation: the broker issues none
      break;
  }
}

void Shard::ArmAccept(Listener* listener) {
  if (listener->fd < 0 || listener->armed || stopping_) return;
  ring_->PrepMultishotAccept(listener->fd, listener);
  listener->armed = true;
}

void Shard::ArmWake() {
  if (wake_armed_) return;
  ring_->PrepRead(mesh_.wake_fd(index_), &wake_buffer_, sizeof(wake_buffer_), Op::kWake, nullptr);
  wake_armed_ = true;
}

void Shard::OnAccept(Listener* listener, const Completion& c) {
  if (!c.more()) listener->armed = false;
  if (c.res < 0) {
    if (c.res == -EMFILE || c.res == -ENFILE) {
      // Re-arming at once would spin on the same error; the tick re-arms it.
      static std::atomic<int64_t> last_report_ms{0};
      if (now_ms_ - last_report_ms.load(std::memory_order_relaxed) > 5000) {
        last_report_ms.store(now_ms_, std::memory_order_relaxed);
        Log(LogLevel::kError,
            "cannot accept connections: open file limit reached (RLIMIT_NOFILE=%d, %d connections open); "
            "raise it with ulimit -n or lower --max_connections",
            OpenFileLimit(), shared_.open_connections.load());
      }
    } else if (c.res != -ECANCELED && c.res != -EBADF && c.res != -EINVAL) {
      Log(LogLevel::kWarning, "shard %d: accept failed: %s", index_, std::strerror(-c.res));
    }
    return;
  }
  if (!listener->armed) ArmAccept(listener);
  const int fd = c.res;
  const size_t index = static_cast<size_t>(listener - listeners_.data());
  stats_.connections_accepted.Add(1);
  stats_.accepted_by_transport[static_cast<size_t>(config_.listen[index].scheme)].Add(1);
  if (config_.listen[index].proxy_protocol) stats_.accepted_proxied.Add(1);
  if (RefusedForMemory(fd)) return;
  // Behind a load balancer the socket's peer is the balancer: the client is counted once the PROXY
  // header names it.
  const bool proxied = config_.listen[index].proxy_protocol;
  Admission admission = Admit(index, fd, !proxied);
  if (!admission.admitted) {
    close(fd);
    return;
  }
  const TransformFactory& factory = shared_.transform_factories[index];
  // TCP_NODELAY is inherited from the listening socket.
  AdoptSocket(Adopted{.fd = fd,
                      .counted_peer = admission.counted_peer,
                      .transform = factory ? factory() : nullptr,
                      .listener = static_cast<uint8_t>(index),
                      .count_proxied_peer = proxied && protocol_.limits().max_connections_per_ip > 0});
}

Connection* Shard::AdoptSocket(Adopted adopted) {
  auto* conn = new Connection();
  conn->fd = adopted.fd;
  conn->serial = ++connection_serial_;
  conn->last_activity_ms = now_ms_;
  connections_.insert(conn);
  if (adopted.counted_peer.has_value()) counted_peers_.emplace(conn, *adopted.counted_peer);
  accepted_since_tick_.push_back(ConnectionTimer::For(*conn));  // the CONNECT timeout
  if (adopted.transform != nullptr) {
    AttachStream(conn, std::make_unique<Stream>(Stream{.transform = std::move(adopted.transform),
                                                       .wire = std::move(adopted.wire),
                                                       .listener = adopted.listener,
                                                       .count_proxied_peer = adopted.count_proxied_peer}));
  }
  if (!adopted.already_received.empty()) {
    protocol_.ConsumeInput(conn, AsBytes(adopted.already_received));
  }
  if (conn->state == Connection::State::kClosing) {
    MarkForRelease(conn);
    return nullptr;
  }
  if (!conn->recv_armed) ArmRecv(conn);
  return conn;
}

void Shard::AdoptHandedOff(std::unique_ptr<HandoffEnvelope> handoff) {
  if (stopping_) {
    close(handoff->fd);
    ReleaseAdmission(handoff->counted_peer);
    return;
  }
  AdoptSocket(Adopted{.fd = handoff->fd,
                      .already_received = handoff->received,
                      .counted_peer = handoff->counted_peer,
                      .transform = std::move(handoff->transform),
                      .wire = std::move(handoff->wire),
                      .listener = handoff->listener});
}

void Shard::StopReading(Connection* conn) {
  if (conn->recv_armed && !conn->recv_cancel_sent) {
    ring_->PrepCancel(conn, Op::kRecv);
    conn->recv_cancel_sent = true;
  }
}

void Shard::ResumeReading(Connection* conn) {
  if (conn->state != Connection::State::kClosing && !conn->reading_paused && !conn->recv_armed) ArmRecv(conn);
}

void Shard::ArmRecv(Connection* conn) {
  ring_->PrepRecv(conn->fd, conn, conn->state == Connection::State::kConnected);
  conn->recv_armed = true;
  conn->recv_cancel_sent = false;
  ++conn->ops_in_flight;
}

void Shard::OnRecv(Connection* conn, const Completion& c) {
  if (!c.more()) {
    conn->recv_armed = false;
    --conn->ops_in_flight;
  }
  const bool peer_gone = c.res == 0 || (c.res < 0 && c.res != -ENOBUFS && c.res != -ECANCELED);
  if (peer_gone && conn->has_stream && conn->state != Connection::State::kClosing) {
    CountUnfinishedHandshake(conn, TlsFailure::kAbandoned);  // a TLS handshake it left unfinished
  }
  if (c.res > 0 && c.has_buffer()) {
    if (conn->state != Connection::State::kClosing) {
      ConsumeWire(conn, ring_->BufferData(c.buffer_id(), static_cast<size_t>(c.res)));
      ReleaseBuffersIfIdle(conn);
    }  // closing: discarded (draining)
    ring_->ReturnBuffer(c.buffer_id());
  } else if (c.res == 0) {
    if (conn->state == Connection::State::kClosing && conn->draining) {
      // Draining (nothing shut our reading down): this is the peer's FIN. It read our last packet
      // and closed, so nothing of its input is lost and a FIN will do.
      conn->draining = false;
      conn->peer_was_sending = false;
      if (conn->io != nullptr) conn->io->inbound.clear();
    }
    Close(conn, "connection closed by peer");
  } else if (c.res == -ENOBUFS) {  // the provided-buffer ring ran dry: re-armed below
    stats_.recv_buffers_exhausted.Add(1);
  } else if (c.res < 0 && c.res != -ECANCELED) {  // cancelled: input paused
    conn->draining = false;
    Close(conn, std::strerror(-c.res));
  }
  if (conn->state == Connection::State::kClosing) {
    if (conn->draining && !conn->recv_armed && conn->fd >= 0) ArmRecv(conn);
    MarkForRelease(conn);
    return;
  }
  if (!conn->recv_armed && !conn->reading_paused) ArmRecv(conn);
}

void Shard::ConsumeArrivedInput(Connection* conn) {
  // With DEFER_TASKRUN the ring posts receives only when the loop waits, so bytes can sit in the
  // socket unseen. Bounded (64 KiB): a peer still streaming cannot hold the loop here.
  constexpr int kMaxReads = 16;
  std::array<uint8_t, 4096> buffer;
  for (int read = 0; read < kMaxReads; ++read) {
    if (conn->state != Connection::State::kConnected || conn->reading_paused || conn->fd < 0) return;
    const ssize_t n = recv(conn->fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n == 0) Close(conn, "connection closed by peer");
    if (n <= 0) return;
    ConsumeWire(conn, std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
  }
}

void Shard::HandOff(Connection* conn, std::span<const uint8_t> from_connect) {
  auto handoff = std::make_unique<HandoffEnvelope>();
  handoff->fd = conn->fd;
  handoff->received.assign(AsText(from_connect));
  if (auto peer = counted_peers_.extract(conn)) handoff->counted_peer = peer.mapped();
  if (conn->has_stream) {
    // Safe to move between threads: the stream is established (its CONNECT was read through it), no
    // call into it is pending, and this shard never touches it again.
    auto stream = streams_.extract(conn);
    handoff->transform = std::move(stream.mapped()->transform);
    handoff->wire = std::move(stream.mapped()->wire);
    handoff->listener = stream.mapped()->listener;
    conn->has_stream = false;
  }
  conn->fd = -1;  // the socket now belongs to the home shard
  conn->state = Connection::State::kClosing;
  connections_.erase(conn);
  protocol_.SendEnvelope(conn->handoff_to, std::move(handoff));
}

void Shard::MarkForFlush(Connection* conn) {
  if (conn->in_flush_list) return;
  conn->in_flush_list = true;
  flush_list_.push_back(conn);
}

void Shard::FlushOutputs() {
  // Connections released meanwhile are never in the list: Release() happens only after their sends.
  for (Connection* conn : flush_list_) {
    conn->in_flush_list = false;
    StartSend(conn);
  }
  flush_list_.clear();
}

void Shard::StartSend(Connection* conn) {
  if (conn->has_stream) {
    StartStreamSend(conn);
    return;
  }
  if (conn->send_in_flight || conn->io == nullptr || conn->fd < 0) return;
  IoBuffers& io = *conn->io;
  if (!io.queue.empty()) {
    // Borrowed payloads wait: everything goes out in stream order through the queue until it drains.
    io.queue.Append(std::exchange(io.out, std::string()));
    SendQueue(*ring_, conn, config_, protocol_.limits().max_queued_bytes);
  } else if (!io.out.empty()) {
    std::swap(io.out, io.sending);
    io.sending_offset = 0;
    ring_->PrepSend(conn->fd, io.sending.data(), io.sending.size(), conn);
  } else {
    return;
  }
  conn->send_in_flight = true;
  ++conn->ops_in_flight;
}

void Shard::OnSend(Connection* conn, int32_t res) {
  --conn->ops_in_flight;
  conn->send_in_flight = false;
  IoBuffers& io = *conn->io;
  if (res < 0) {
    io.out.clear();
    io.sending.clear();
    io.queue.Clear();
    conn->draining = false;
    Close(conn, std::strerror(-res));
    if (Stream* stream = StreamOf(conn)) stream->wire.clear();  // its closing form cannot go out either
  } else {
    stats_.bytes_sent.Add(static_cast<uint64_t>(res));
    if (io.sending.empty()) {
      io.queue.Consume(static_cast<size_t>(res));  // StartSend below sends the rest, if any
    } else {
      io.sending_offset += static_cast<size_t>(res);
      if (io.sending_offset < io.sending.size()) {
        ring_->PrepSend(conn->fd, io.sending.data() + io.sending_offset, io.sending.size() - io.sending_offset,
                        conn);
        conn->send_in_flight = true;
        ++conn->ops_in_flight;
        return;
      }
      io.sending.clear();
      io.sending_offset = 0;
    }
    StartSend(conn);
    if (conn->reading_paused) protocol_.RecheckPaused();
    ReleaseBuffersIfIdle(conn);
  }
  if (conn->state == Connection::State::kClosing) {
    // The last packet is out: a FIN follows it. A draining connection keeps reading until the peer
    // closes too (or the close grace ends); the others are done.
    if (!conn->send_in_flight && conn->fd >= 0) shutdown(conn->fd, conn->draining ? SHUT_WR : SHUT_RDWR);
    MarkForRelease(conn);
  }
}

void Shard::Close(Connection* conn, std::string_view why) {
  if (conn->state == Connection::State::kClosing) return;
  Log(LogLevel::kDebug, "shard %d: closing fd %d%s (%s): %s", index_, conn->fd, PeerText(conn),
      conn->session ? LogText(conn->session->client_id()) : std::string("-"), LogText(why));
  protocol_.OnConnectionClosing(conn);
  conn->state = Connection::State::kClosing;
  conn->peer_was_sending = now_ms_ - conn->last_activity_ms < kRecentInputMs;
  conn->last_activity_ms = now_ms_;  // from now on: when the close began
  ScheduleDeadline(conn);            // the close grace, likely shorter than the deadline before
  if (conn->has_stream) {
    StreamOf(conn)->transform->NoteClosing(why);  // a bridge logs why its link ended
    FinishStream(conn);
  }
  const Stream* stream = conn->has_stream ? StreamOf(conn) : nullptr;
  const bool output_pending = conn->pending_output() > 0 || (stream != nullptr && !stream->wire.empty());
  if (output_pending && conn->fd >= 0) {
    // The last output goes out first, then a FIN. After a DISCONNECT or a refusing CONNACK, input
    // is read and discarded meanwhile (draining): closing a socket with unread input sends a reset,
    // which can reach a client still sending before it reads that packet (a broken pipe instead of
    // the reason code). Reads stop at the peer's FIN or at the close grace (kCloseGraceMs), whose
    // Abort also resets a peer that does not read at all (a zero window). A paused peer, and one
    // whose last packet says nothing (3.1.1 has no DISCONNECT), get the reset they always got.
    conn->draining = conn->draining && !conn->reading_paused;
    if (!conn->draining) {
      shutdown(conn->fd, SHUT_RD);
    } else if (!conn->recv_armed) {
      ArmRecv(conn);
    }
    MarkForFlush(conn);
  } else if (conn->fd >= 0) {
    conn->draining = false;
    shutdown(conn->fd, SHUT_RDWR);
  }
  MarkForRelease(conn);
}

void Shard::MarkForRelease(Connection* conn) {
  if (conn->in_release_list) return;
  conn->in_release_list = true;
  release_list_.push_back(conn);
}

void Shard::ReleaseClosed() {
  // A closed connection is freed only once no io_uring operation refers to it; the last completion
  // puts it back on this list.
  std::vector<Connection*> candidates;
  candidates.swap(release_list_);
  for (Connection* conn : candidates) {
    conn->in_release_list = false;
    if (conn->ops_in_flight == 0 && !conn->in_flush_list) Release(conn);
  }
}

IoBuffers& Shard::Buffers(Connection* conn) {
  if (conn->io == nullptr) {
    if (io_pool_.empty()) {
      conn->io = std::make_unique<IoBuffers>();
    } else {
      conn->io = std::move(io_pool_.back());
      io_pool_.pop_back();
    }
  }
  return *conn->io;
}

void Shard::ReleaseBuffersIfIdle(Connection* conn) {
  if (conn->io == nullptr || !conn->io->empty() || conn->send_in_flight) return;
  // Recycled buffers keep a modest capacity; the pool is bounded, so bursts do not pin memory.
  if (io_pool_.size() < kIoPoolSize) {
    TrimIdle(conn->io->inbound);
    TrimIdle(conn->io->out);
    TrimIdle(conn->io->sending);
    io_pool_.push_back(std::move(conn->io));
  }
  conn->io.reset();
}

void Shard::Release(Connection* conn) {
  if (conn->fd >= 0) {
    // A peer still sending to us (input we stopped reading, bytes never read, or input until just
    // now) may be blocked on a zero window, where a FIN never reaches it: it gets a reset instead.
    int unread = 0;
    if (conn->peer_was_sending || conn->reading_paused || conn->has_inbound() ||
        (ioctl(conn->fd, FIONREAD, &unread) == 0 && unread > 0)) {
      const linger reset{1, 0};
      setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    }
    close(conn->fd);
    auto peer = counted_peers_.extract(conn);
    ReleaseAdmission(peer ? std::optional<PeerAddress>(peer.mapped()) : std::nullopt);
  }
  protocol_.OnConnectionReleased(conn);
  if (conn->has_stream) streams_.erase(conn);
  connections_.erase(conn);
  delete conn;
}

void Shard::OnTick() {
  next_tick_ms_ = now_ms_ + kLoopTickMs;
  // Only the entries that came due: a walk over every connection would stall the loop for
  // milliseconds at a million connections (bench/core/deadline_wheel_bench.cc).
  ScheduleConnectTimeouts();
  connection_deadlines_.PopDue(now_ms_, [this](const ConnectionTimer& timer, int64_t) { OnConnectionDue(timer); });
  for (Listener& listener : listeners_) ArmAccept(&listener);
  stats_.connections.Set(connections_.size());
  protocol_.RefreshLimits(connection_serial_ + 1);
  protocol_.OnTick();
  if (bridges_ != nullptr) bridges_->OnTick(now_ms_);
  if (stopping_ && now_ms_ >= stop_deadline_ms_) {
    for (Connection* conn : connections_) Abort(conn);
  }
}

std::optional<int64_t> Shard::DeadlineOf(const Connection* conn) const {
  switch (conn->state) {
    case Connection::State::kAwaitConnect:  // last_activity_ms: when it was accepted
      return conn->last_activity_ms + static_cast<int64_t>(config_.connect_timeout_s) * 1000;
    case Connection::State::kConnected:
      // MQTT: the server disconnects after one and a half keep-alive periods without a complete
      // packet (last_activity_ms), so a trickled packet does not keep a client alive. Keep-alive 0:
      // never, unless it holds an incomplete packet.
      if (conn->keep_alive_s == 0) return IncompletePacketDeadline(conn);
      return conn->last_activity_ms + conn->keep_alive_s * 1500LL;
    case Connection::State::kClosing:  // last_activity_ms: when the close began
      return conn->last_activity_ms + kCloseGraceMs;
  }
  return std::nullopt;
}

void Shard::WatchIncompletePacket(Connection* conn) {
  if (conn->state != Connection::State::kConnected || conn->keep_alive_s != 0 || conn->incomplete_timer_armed) return;
  if (std::optional<int64_t> deadline = IncompletePacketDeadline(conn)) {
    connection_deadlines_.Schedule(ConnectionTimer::For(*conn), *deadline);
    conn->incomplete_timer_armed = true;
  }
}

std::optional<int64_t> Shard::IncompletePacketDeadline(const Connection* conn) const {
  // Input we hold while paused is not the client's delay (resuming restarts the clock).
  if (!conn->has_inbound() || conn->reading_paused) return std::nullopt;
  return conn->io->inbound_since_ms + static_cast<int64_t>(protocol_.limits().incomplete_packet_timeout_s) * 1000;
}

void Shard::ScheduleConnectTimeouts() {
  for (const ConnectionTimer& accepted : accepted_since_tick_) {
    if (Connection* conn = TimedConnection(accepted)) ScheduleDeadline(conn);  // still awaiting CONNECT
  }
  accepted_since_tick_.clear();
  if (accepted_since_tick_.capacity() > kKeptAcceptedCapacity) std::vector<ConnectionTimer>().swap(accepted_since_tick_);
}

void Shard::ScheduleDeadline(Connection* conn) {
  if (std::optional<int64_t> deadline = DeadlineOf(conn)) {
    connection_deadlines_.Schedule(ConnectionTimer::For(*conn), *deadline);
  }
}

Connection* Shard::TimedConnection(const ConnectionTimer& timer) const {
  // The entry may have outlived its connection (whose address another one may have now), or stand for
  // a state the connection has left: the state it is in scheduled its own entry.
  Connection* conn = timer.conn;
  if (!connections_.contains(conn) || !timer.StandsFor(*conn)) return nullptr;
  return conn;
}

void Shard::OnConnectionDue(const ConnectionTimer& timer) {
  Connection* conn = TimedConnection(timer);
  if (conn == nullptr) return;
  const bool incomplete_packet_timer = conn->state == Connection::State::kConnected && conn->keep_alive_s == 0;
  if (incomplete_packet_timer) conn->incomplete_timer_armed = false;  // this entry was that timer
  if (conn->state == Connection::State::kConnected && conn->reading_paused) {
    // A connection we stopped reading is not silent, we are deaf to it: its clock restarts (and
    // again when reading resumes, see ResumePaused).
    conn->last_activity_ms = now_ms_;
  }
  const std::optional<int64_t> deadline = DeadlineOf(conn);
  if (!deadline.has_value()) return;
  if (now_ms_ < *deadline) {  // it was active since the entry was scheduled
    // Once a keep-alive period: buffers of bursts that have passed go back.
    if (conn->session != nullptr) conn->session->ReleaseIdleMemory();
    if (Stream* stream = StreamOf(conn)) stream->transform->ReleaseIdleBuffers();
    connection_deadlines_.Schedule(timer, *deadline);
    if (incomplete_packet_timer) conn->incomplete_timer_armed = true;
    return;
  }
  switch (conn->state) {
    case Connection::State::kAwaitConnect:
      if (conn->has_stream) CountUnfinishedHandshake(conn, TlsFailure::kTimeout);
      Close(conn, "no CONNECT within --connect_timeout");
      break;
    case Connection::State::kConnected:
      if (incomplete_packet_timer) {
        stats_.incomplete_packet_timeouts.Add(1);
        protocol_.SendDisconnect(conn, ReasonCode::kKeepAliveTimeout, "incomplete packet timeout");
        Close(conn, "incomplete packet held longer than --incomplete_packet_timeout");
        break;
      }
      protocol_.SendDisconnect(conn, ReasonCode::kKeepAliveTimeout);
      Close(conn, "keep-alive timeout");
      break;
    case Connection::State::kClosing:
      Abort(conn);
      // It is freed once its last operations complete; should they not, it is aborted again.
      connection_deadlines_.Schedule(timer, now_ms_ + kAbortRetryMs);
      break;
  }
}

void Shard::BeginShutdown() {
  stopping_ = true;
  stop_deadline_ms_ = now_ms_ + kShutdownGraceMs;
  for (Listener& listener : listeners_) {
    if (listener.fd >= 0) {
      shutdown(listener.fd, SHUT_RDWR);  // ends the multishot accept
      close(listener.fd);
      listener.fd = -1;
    }
  }
  // Wills of every connected client go out while the other shards still run, so subscribers anywhere
  // receive them; the connections close once every shard has done the same.
  protocol_.BeginShutdown();
}

bool Shard::ShutdownComplete() {
  if (!closing_for_shutdown_) {
    if (!protocol_.ReadyToClose(stop_deadline_ms_)) return false;
    closing_for_shutdown_ = true;
    std::vector<Connection*> open(connections_.begin(), connections_.end());
    for (Connection* conn : open) {
      if (conn->state == Connection::State::kConnected) {
        conn->will_due = false;  // already published by BeginShutdown
        protocol_.SendDisconnect(conn, ReasonCode::kServerShuttingDown);
      }
      Close(conn, "broker shutting down");
    }
    return false;
  }
  if (connections_.empty()) return true;
  if (now_ms_ < stop_deadline_ms_ + kCloseGraceMs) return false;
  for (Connection* conn : connections_) Abort(conn);  // the ring's teardown cancels what is left
  return true;
}

void Shard::Abort(Connection* conn) {
  if (conn->fd < 0) return;
  // A peer that neither reads nor closes must still learn that we are gone: linger 0 turns the final
  // close into a reset, and shutting the socket down ends a send that waits for buffer space.
  const linger reset{1, 0};
  setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  shutdown(conn->fd, SHUT_RDWR);
  if (conn->send_in_flight) ring_->PrepCancel(conn, Op::kSend);
  if (conn->recv_armed) ring_->PrepCancel(conn, Op::kRecv);
}

}  // namespace ringmq
