#include "tools/bench/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/frame.h"
#include "tools/bench/payload_stamp.h"
#include "tools/bench/tls_client_stream.h"

namespace ringmq::bench {
namespace {

constexpr uint32_t kRingEntries = 4096;
constexpr uint32_t kRecvBufferCount = 1024;
constexpr uint32_t kRecvBufferSize = 16 * 1024;
constexpr uint32_t kMaxPacketSize = 268'435'460;  // the largest MQTT packet
constexpr size_t kMaxBatchBytes = 64 * 1024;     // per send, so one publisher cannot hog the loop
constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kFastTickNs = 1'000'000;      // when publishers or connects wait for time to pass
constexpr int64_t kSlowTickNs = 100'000'000;
constexpr int64_t kWindowGiveUpNs = kSecondNs;  // QoS 0 loss would otherwise block a window forever
constexpr int kMaxErrorsLogged = 5;

SessionSettings SettingsFor(const BenchConfig& config, const ClientPlan& client) {
  SessionSettings settings;
  settings.version = config.protocol;
  settings.client_id = client.client_id;
  if (client.username.has_value()) settings.username = *client.username;
  if (client.password.has_value()) settings.password = *client.password;
  settings.clean_start = config.clean;
  settings.keepalive_s = config.keepalive;
  settings.qos = config.qos;
  settings.retain = config.retain;
  settings.inflight_limit = config.inflight;
  return settings;
}

}  // namespace

Worker::Worker(uint32_t index, const BenchConfig& config, const RunPlan& plan, SharedState& shared,
               const BrokerAddress& broker)
    : index_(index), config_(config), plan_(plan), shared_(shared), broker_(broker) {
  size_t mine = 0;
  for (const ClientPlan& client : plan.clients) mine += client.thread_index == index ? 1 : 0;
  conns_.reserve(mine);
  for (const ClientPlan& client : plan.clients) {
    if (client.thread_index != index) continue;
    conns_.emplace_back(client, SettingsFor(config, client));
    if (client.is_publisher()) publishers_.push_back(static_cast<uint32_t>(conns_.size() - 1));
  }
  payload_.assign(config.size, 'x');
}

Worker::~Worker() {
  for (Connection& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
  ring_.reset();  // ends what the kernel still holds before the buffers it points into go
}

absl::Status Worker::Init() {
  if (UsesTls(config_.transport)) {
    absl::StatusOr<std::unique_ptr<TlsClientContext>> tls = TlsClientContext::Create(config_);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(*tls);
  }
  RingOptions options;
  options.entries = kRingEntries;
  options.recv_buffer_count = kRecvBufferCount;
  options.recv_buffer_size = kRecvBufferSize;
  options.single_issuer = false;  // created here on the main thread, driven by the worker's own
  absl::StatusOr<std::unique_ptr<Ring>> ring = Ring::Create(options, static_cast<int>(index_));
  if (!ring.ok()) return ring.status();
  ring_ = std::move(*ring);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Event loop

void Worker::Run() {
  const int64_t now = MonotonicNowNs();
  connect_origin_ns_ = now;
  last_second_ns_ = now;
  StartConnects(now);
  while (true) {
    ObservePhase(MonotonicNowNs());
    if (phase_ == Phase::kStop) break;
    FlushDirty(MonotonicNowNs());
    ArmTicks();
    ring_->SubmitAndWait();  // the slow tick is always armed, so this wakes within 100 ms
    ProcessCompletions();
  }
  ShutDown();
  progress_.PublishLatency(totals_.latency);
}

void Worker::ObservePhase(int64_t now) {
  const Phase phase = shared_.phase();
  if (phase == phase_) return;
  const bool publishing_starts = phase_ == Phase::kConnecting && phase != Phase::kStop;
  phase_ = phase;
  if (!publishing_starts) return;
  // Written before the phase left kConnecting (release/acquire through the phase).
  measure_start_ns_ = shared_.measure_start_ns.load(std::memory_order_relaxed);
  measure_end_ns_ = shared_.measure_end_ns.load(std::memory_order_relaxed);
  const double interval_ns = config_.rate > 0 ? 1e9 / config_.rate : 0;
  for (uint32_t slot : publishers_) {
    Connection& c = conns_[slot];
    // Spread rate-limited publishers over one interval so they do not all fire on the same tick.
    const double phase_offset = interval_ns * c.plan->publisher_index / std::max<uint32_t>(1, plan_.publisher_count);
    c.rate_origin_ns = now + static_cast<int64_t>(phase_offset);
    Pump(c, now);
  }
}

void Worker::ArmTicks() {
  // The slow tick always runs (phase changes, keep-alives, progress); the fast one only while a
  // publisher or a connect waits for time to pass, so an idle worker wakes ten times a second.
  if (!slow_tick_armed_) {
    slow_tick_ = {.tv_sec = 0, .tv_nsec = kSlowTickNs};
    ring_->PrepTimeout(&slow_tick_, &slow_tick_);
    slow_tick_armed_ = true;
  }
  if (!fast_tick_armed_ && (!stalled_.empty() || connects_throttled_)) {
    fast_tick_ = {.tv_sec = 0, .tv_nsec = kFastTickNs};
    ring_->PrepTimeout(&fast_tick_, &fast_tick_);
    fast_tick_armed_ = true;
  }
}

void Worker::ProcessCompletions() {
  const int64_t now = MonotonicNowNs();
  ring_->ForEachCompletion([&](const Completion& completion) { Dispatch(completion, now); });
}

void Worker::Dispatch(const Completion& completion, int64_t now) {
  switch (completion.op) {
    case Op::kTimeout:
      (completion.target == &fast_tick_ ? fast_tick_armed_ : slow_tick_armed_) = false;
      OnTick(now);
      return;
    case Op::kConnect:
      OnConnectDone(*static_cast<Connection*>(completion.target), completion.res, now);
      return;
    case Op::kRecv:
      OnRecv(*static_cast<Connection*>(completion.target), completion, now);
      return;
    case Op::kSend:
      OnSendDone(*static_cast<Connection*>(completion.target), completion.res, now);
      return;
    case Op::kAccept:
    case Op::kWake:
    case Op::kCancel:
      return;  // the load generator issues none of these
  }
}

void Worker::OnTick(int64_t now) {
  StartConnects(now);
  PumpStalled(now);
  if (now - last_second_ns_ >= kSecondNs) {
    last_second_ns_ = now;
    SendKeepAlives(now);
    progress_.PublishLatency(totals_.latency);
  }
}

void Worker::FlushDirty(int64_t now) {
  for (uint32_t slot : dirty_) {
    conns_[slot].dirty = false;
    Flush(conns_[slot], now);
  }
  dirty_.clear();
}

void Worker::WaitAndProcess(int64_t timeout_ns) {
  ring_->SubmitAndWait(timeout_ns / 1000);
  ProcessCompletions();
  FlushDirty(MonotonicNowNs());
}

void Worker::ShutDown() {
  const int64_t now = MonotonicNowNs();
  for (Connection& c : conns_) {
    if (c.state != ConnState::kReady) continue;
    c.session.AppendDisconnect(c.tx_pending);
    Flush(c, now);
  }
  // Give the DISCONNECTs a moment to leave, then shut every socket so the kernel ends its
  // operations on them before the ring and the buffers they point into go away.
  const int64_t deadline = now + kSecondNs / 2;
  auto sending = [&] {
    return std::any_of(conns_.begin(), conns_.end(), [](const Connection& c) { return c.send_in_flight; });
  };
  while (sending() && MonotonicNowNs() < deadline) WaitAndProcess(deadline - MonotonicNowNs());
  for (Connection& c : conns_) {
    if (c.fd >= 0) shutdown(c.fd, SHUT_RDWR);
    c.state = ConnState::kClosed;
  }
  const int64_t ops_deadline = MonotonicNowNs() + kSecondNs;
  while (outstanding_ops_ > 0 && MonotonicNowNs() < ops_deadline) {
    WaitAndProcess(ops_deadline - MonotonicNowNs());
  }
}

// ---------------------------------------------------------------------------------------------
// Connections

void Worker::StartConnects(int64_t now) {
  connects_throttled_ = false;
  const double rate_per_thread = config_.connect_rate / WorkerCount(config_);
  while (next_to_open_ < conns_.size() && opening_ < config_.connect_concurrency) {
    if (rate_per_thread > 0) {
      const uint64_t allowed = static_cast<uint64_t>((now - connect_origin_ns_) / 1e9 * rate_per_thread) + 1;
      if (connects_started_ >= allowed) {
        connects_throttled_ = true;
        return;
      }
    }
    Open(conns_[next_to_open_++], now);
  }
}

void Worker::Open(Connection& c, int64_t now) {
  ++connects_started_;
  totals_.first_connect_ns = std::min(totals_.first_connect_ns, now);
  c.state = ConnState::kTcpConnecting;
  ++opening_;
  c.fd = socket(broker_.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    ConnectionLost(c, strerror(errno));
    return;
  }
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (c.plan->is_publisher() && config_.publisher_send_buffer > 0) {
    // A fixed buffer instead of autotuning (up to tcp_wmem's 4 MiB per socket): publishers the broker
    // does not keep up with wait for it, instead of queueing seconds of messages in the kernel.
    const int bytes = static_cast<int>(config_.publisher_send_buffer);
    setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }
  ring_->PrepConnect(c.fd, reinterpret_cast<const sockaddr*>(&broker_.address), broker_.length, &c);
  ++outstanding_ops_;
}

void Worker::OnConnectDone(Connection& c, int result, int64_t now) {
  --outstanding_ops_;
  if (c.state != ConnState::kTcpConnecting) return;
  if (result < 0) {
    ConnectionLost(c, strerror(-result));
    StartConnects(now);
    return;
  }
  c.state = ConnState::kMqttConnecting;
  if (config_.transport != Transport::kTcp) {
    c.stream = NewClientStream(config_, tls_.get());
    if (absl::Status started = c.stream->Start(c.tx_wire); !started.ok()) {
      ConnectionLost(c, std::string(started.message()));
      StartConnects(now);
      return;
    }
  }
  c.session.AppendConnect(c.tx_pending);  // a stream holds it until its handshake is done
  MarkDirty(c);
  ArmRecv(c);
}

void Worker::ArmRecv(Connection& c) {
  ring_->PrepRecv(c.fd, &c, /*multishot=*/true);  // single-shot where the kernel lacks multishot
  c.recv_armed = true;
  ++outstanding_ops_;
}

void Worker::OnRecv(Connection& c, const Completion& completion, int64_t now) {
  if (!completion.more()) {
    c.recv_armed = false;
    --outstanding_ops_;
  }
  if (completion.has_buffer()) {
    const uint16_t id = completion.buffer_id();
    if (completion.res > 0 && c.state != ConnState::kClosed) {
      const std::span<const uint8_t> data = ring_->BufferData(id, static_cast<size_t>(completion.res));
      if (c.stream == nullptr) [[likely]] {
        Consume(c, data, now);
      } else {
        ConsumeWire(c, data, now);
      }
    }
    ring_->ReturnBuffer(id);
  }
  if (c.state == ConnState::kClosed) return;
  if (completion.res == 0) {
    ConnectionLost(c, "connection closed by the broker");
    return;
  }
  if (completion.res < 0 && completion.res != -ENOBUFS) {
    ConnectionLost(c, strerror(-completion.res));
    return;
  }
  // The multishot receive ends when the buffer ring ran dry (-ENOBUFS) or the kernel chose to stop.
  if (!c.recv_armed) ArmRecv(c);
  if (c.plan->is_publisher()) Pump(c, now);
}

void Worker::Consume(Connection& c, std::span<const uint8_t> data, int64_t now) {
  if (c.rx_partial.empty()) {
    const size_t used = ParsePackets(c, data, now);
    if (c.state != ConnState::kClosed && used < data.size()) {
      c.rx_partial.assign(reinterpret_cast<const char*>(data.data()) + used, data.size() - used);
    }
  } else {
    c.rx_partial.append(reinterpret_cast<const char*>(data.data()), data.size());
    const std::span<const uint8_t> joined(reinterpret_cast<const uint8_t*>(c.rx_partial.data()),
                                          c.rx_partial.size());
    const size_t used = ParsePackets(c, joined, now);
    c.rx_partial.erase(0, used);
  }
  if (c.state == ConnState::kClosed) c.rx_partial.clear();
  FlushDelivered();
  progress_.received.store(totals_.received, std::memory_order_relaxed);
}

void Worker::ConsumeWire(Connection& c, std::span<const uint8_t> wire, int64_t now) {
  app_scratch_.clear();
  if (absl::Status status = c.stream->Receive(wire, app_scratch_, c.tx_wire); !status.ok()) {
    ConnectionLost(c, std::string(status.message()));
    return;
  }
  if (!c.tx_wire.empty()) MarkDirty(c);
  if (app_scratch_.empty()) return;
  Consume(c, {reinterpret_cast<const uint8_t*>(app_scratch_.data()), app_scratch_.size()}, now);
  // A receive of a few MB (a slow subscriber catching up) must not stay allocated for the whole run.
  if (app_scratch_.capacity() > 1024 * 1024) std::string().swap(app_scratch_);
}

bool Worker::EncodePending(Connection& c) {
  if (!c.tx_pending.empty()) {
    const absl::Status status = c.stream->Send(c.tx_pending, c.tx_wire);
    c.tx_pending.clear();
    if (!status.ok()) {
      ConnectionLost(c, std::string(status.message()));
      return false;
    }
  }
  return true;
}

void Worker::CountHandshake(const Connection& c) {
  if (c.stream == nullptr) return;
  switch (c.stream->tls_handshake()) {
    case TlsHandshake::kFull:
      ++totals_.tls_full_handshakes;
      return;
    case TlsHandshake::kResumed:
      ++totals_.tls_resumed;
      return;
    case TlsHandshake::kNone:
      return;
  }
}

void Worker::FlushDelivered() {
  for (uint32_t publisher : delivered_touched_) {
    shared_.publishers[publisher].delivered.fetch_add(delivered_pending_[publisher], std::memory_order_relaxed);
    delivered_pending_[publisher] = 0;
  }
  delivered_touched_.clear();
}

size_t Worker::ParsePackets(Connection& c, std::span<const uint8_t> data, int64_t now) {
  size_t offset = 0;
  while (c.state != ConnState::kClosed && offset < data.size()) {
    const FrameResult parsed = ParseFrame(data.subspan(offset), kMaxPacketSize);
    if (parsed.status == FrameStatus::kNeedMore) break;
    if (parsed.status != FrameStatus::kOk) {
      ConnectionLost(c, "malformed packet from the broker");
      break;
    }
    const std::span<const uint8_t> body = data.subspan(offset + parsed.frame.header_size,
                                                       parsed.frame.remaining_length);
    OnSessionEvent(c, c.session.HandlePacket(parsed.frame, body, c.tx_pending), now);
    offset += parsed.frame.total_size();
  }
  if (!c.tx_pending.empty()) MarkDirty(c);
  return offset;
}

void Worker::OnSessionEvent(Connection& c, const SessionEvent& event, int64_t now) {
  switch (event.kind) {
    case SessionEventKind::kNone:
      return;
    case SessionEventKind::kConnected:
      if (c.state != ConnState::kMqttConnecting) return ConnectionLost(c, "unexpected CONNACK");
      --opening_;
      ++totals_.connected;
      CountHandshake(c);
      progress_.connected.store(totals_.connected, std::memory_order_relaxed);
      totals_.last_connack_ns = std::max(totals_.last_connack_ns, now);
      if (c.plan->is_subscriber()) {
        c.state = ConnState::kSubscribing;
        c.session.AppendSubscribe(c.plan->subscribe_filter, c.tx_pending);
      } else {
        BecomeReady(c);
      }
      StartConnects(now);
      return;
    case SessionEventKind::kSubscribed:
      if (c.state == ConnState::kSubscribing) BecomeReady(c);
      return;
    case SessionEventKind::kMessage:
      OnMessage(c, event.payload, now);
      return;
    case SessionEventKind::kPublishCompleted:
      if (event.failed) {
        ++totals_.errors;
        progress_.errors.store(totals_.errors, std::memory_order_relaxed);
      }
      return;
    case SessionEventKind::kRefused:
    case SessionEventKind::kProtocolError:
      ConnectionLost(c, event.detail);
      return;
  }
}

void Worker::BecomeReady(Connection& c) {
  c.state = ConnState::kReady;
  shared_.ready_clients.fetch_add(1, std::memory_order_relaxed);
}

void Worker::ConnectionLost(Connection& c, std::string_view why) {
  if (c.state == ConnState::kClosed) return;
  const bool was_ready = c.state == ConnState::kReady;
  if (Opening(c)) --opening_;
  c.state = ConnState::kClosed;
  if (c.fd >= 0) shutdown(c.fd, SHUT_RDWR);  // ends the armed receive; the fd is closed at exit
  if (phase_ == Phase::kStop) return;         // the end of the run, not a failure
  if (was_ready) {
    ++totals_.errors;
    progress_.errors.store(totals_.errors, std::memory_order_relaxed);
  } else {
    ++totals_.failed;
    shared_.failed_clients.fetch_add(1, std::memory_order_relaxed);
  }
  if (errors_logged_++ < kMaxErrorsLogged) {
    std::fprintf(stderr, "ringmq-bench: %s: %.*s\n", c.plan->client_id.c_str(), static_cast<int>(why.size()),
                 why.data());
  }
}

void Worker::MarkDirty(Connection& c) {
  if (c.dirty) return;
  c.dirty = true;
  dirty_.push_back(Slot(c));
}

void Worker::Flush(Connection& c, int64_t now) {
  if (c.send_in_flight || c.state == ConnState::kClosed) return;
  if (c.stream == nullptr) [[likely]] {
    if (c.tx_pending.empty()) return;
    std::swap(c.tx_pending, c.tx_sending);
    c.tx_pending.clear();
  } else {
    if (!EncodePending(c) || c.tx_wire.empty()) return;
    std::swap(c.tx_wire, c.tx_sending);
    c.tx_wire.clear();
  }
  c.tx_sent = 0;
  c.last_tx_ns = now;
  ring_->PrepSend(c.fd, c.tx_sending.data(), c.tx_sending.size(), &c);
  c.send_in_flight = true;
  ++outstanding_ops_;
}

void Worker::OnSendDone(Connection& c, int result, int64_t now) {
  --outstanding_ops_;
  c.send_in_flight = false;
  if (c.state == ConnState::kClosed) return;
  if (result < 0) {
    ConnectionLost(c, strerror(-result));
    return;
  }
  c.tx_sent += static_cast<size_t>(result);
  if (c.tx_sent < c.tx_sending.size()) {  // a short send: the rest goes first, in order
    ring_->PrepSend(c.fd, c.tx_sending.data() + c.tx_sent, c.tx_sending.size() - c.tx_sent, &c);
    c.send_in_flight = true;
    ++outstanding_ops_;
    return;
  }
  c.tx_sending.clear();
  if (c.plan->is_publisher()) Pump(c, now);
  MarkDirty(c);
}

void Worker::SendKeepAlives(int64_t now) {
  if (config_.keepalive == 0) return;
  const int64_t idle_limit = int64_t{config_.keepalive} * kSecondNs / 2;
  for (Connection& c : conns_) {
    if (c.state != ConnState::kReady || now - c.last_tx_ns < idle_limit) continue;
    c.session.AppendPing(c.tx_pending);
    MarkDirty(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Publishing and receiving

void Worker::Pump(Connection& c, int64_t now) {
  if (phase_ != Phase::kWarmup && phase_ != Phase::kMeasure) return;
  if (c.state != ConnState::kReady || c.send_in_flight || now >= measure_end_ns_) return;
  uint64_t budget = c.session.PublishRoom();
  bool stalled = false;
  if (config_.rate > 0) {
    // Messages due by now since the origin; a publisher that fell behind catches up in a burst,
    // as an open-loop load should.
    const double elapsed_s = std::max<double>(0, (now - c.rate_origin_ns) / 1e9);
    const uint64_t due = static_cast<uint64_t>(elapsed_s * config_.rate) + (now >= c.rate_origin_ns ? 1 : 0);
    budget = std::min<uint64_t>(budget, due > c.next_sequence ? due - c.next_sequence : 0);
    stalled = true;  // more become due as time passes: the tick pumps again
  }
  if (config_.e2e_window > 0) {
    const uint64_t room = WindowRoom(c, now);
    if (room < budget) stalled = true;
    budget = std::min(budget, room);
  }
  const uint32_t publisher = c.plan->publisher_index;
  const bool measured = now >= measure_start_ns_;
  uint64_t encoded = 0;
  while (encoded < budget && c.tx_pending.size() < kMaxBatchBytes) {
    WritePayloadStamp({now, publisher, c.next_sequence++}, payload_);
    c.session.AppendPublish(c.plan->publish_topic, payload_, c.tx_pending);
    ++encoded;
  }
  if (encoded > 0) {
    totals_.sent += encoded;
    if (measured) totals_.sent_measured += encoded;
    shared_.publishers[publisher].sent.store(c.next_sequence, std::memory_order_relaxed);
    progress_.sent.store(totals_.sent, std::memory_order_relaxed);
    MarkDirty(c);
  }
  if (stalled && !c.stalled) {
    c.stalled = true;
    stalled_.push_back(Slot(c));
  }
}

uint64_t Worker::WindowRoom(Connection& c, int64_t now) {
  const uint64_t receivers = std::max<uint32_t>(1, plan_.receivers_per_publisher);
  const uint64_t delivered =
      shared_.publishers[c.plan->publisher_index].delivered.load(std::memory_order_relaxed) + c.window_written_off;
  const uint64_t expected = c.next_sequence * receivers;
  const uint64_t outstanding_deliveries = expected > delivered ? expected - delivered : 0;
  const uint64_t outstanding = (outstanding_deliveries + receivers - 1) / receivers;
  if (outstanding < config_.e2e_window) {
    c.window_blocked = false;
    return config_.e2e_window - outstanding;
  }
  if (!c.window_blocked || delivered != c.window_seen_delivered) {
    c.window_blocked = true;
    c.window_seen_delivered = delivered;
    c.window_blocked_since_ns = now;
    return 0;
  }
  if (now - c.window_blocked_since_ns < kWindowGiveUpNs) return 0;
  // Nothing delivered for a second: what is outstanding was lost (QoS 0) - stop waiting for it.
  c.window_written_off += outstanding_deliveries;
  c.window_blocked = false;
  ++totals_.window_timeouts;
  return config_.e2e_window;
}

void Worker::PumpStalled(int64_t now) {
  // Pump() puts a publisher that is still held back into stalled_ again.
  stalled_scratch_.swap(stalled_);
  for (uint32_t slot : stalled_scratch_) {
    conns_[slot].stalled = false;
    Pump(conns_[slot], now);
  }
  stalled_scratch_.clear();
}

void Worker::OnMessage(Connection& c, std::string_view payload, int64_t now) {
  const std::optional<PayloadStamp> stamp = ReadPayloadStamp(payload);
  if (!stamp.has_value()) {
    ++totals_.foreign;
    return;
  }
  if (stamp->send_time_ns < shared_.run_start_ns) {
    ++totals_.stale;
    return;
  }
  ++totals_.received;
  const SequenceTracker::Arrival arrival = c.trackers[stamp->publisher_index].Observe(stamp->sequence);
  if (arrival != SequenceTracker::Arrival::kDuplicate && stamp->publisher_index < plan_.publisher_count) {
    if (delivered_pending_.empty()) delivered_pending_.resize(plan_.publisher_count);
    if (delivered_pending_[stamp->publisher_index]++ == 0) delivered_touched_.push_back(stamp->publisher_index);
  }
  const int64_t measure_start = shared_.measure_start_ns.load(std::memory_order_relaxed);
  const int64_t measure_end = shared_.measure_end_ns.load(std::memory_order_relaxed);
  if (stamp->send_time_ns >= measure_start && stamp->send_time_ns < measure_end) {
    totals_.latency.Record(now - stamp->send_time_ns);
  }
  if (now >= measure_start && now < measure_end) ++totals_.received_measured;
}

RunTotals Worker::Finish() {
  for (Connection& c : conns_) {
    const uint32_t begin = c.plan->expected_publishers_begin;
    const uint32_t end = c.plan->expected_publishers_end;
    for (uint32_t p = begin; p < end; ++p) {
      const uint64_t sent = shared_.publishers[p].sent.load(std::memory_order_relaxed);
      const auto it = c.trackers.find(p);
      if (it == c.trackers.end()) {
        totals_.unfinished += sent;
        continue;
      }
      totals_.lost += it->second.LostBelowHighest();
      totals_.unfinished += it->second.UnfinishedOf(sent);
    }
    for (const auto& [publisher, tracker] : c.trackers) {
      totals_.duplicates += tracker.duplicates();
      totals_.reordered += tracker.reordered();
      if (publisher < begin || publisher >= end) totals_.lost += tracker.LostBelowHighest();
    }
  }
  return totals_;
}

}  // namespace ringmq::bench
