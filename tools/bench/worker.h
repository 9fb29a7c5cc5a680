// Worker: one ringmq-bench thread with its own io_uring (net/ring.h, the broker's wrapper, with its
// provided-buffer ring) and share of the connections. It opens them (IORING_OP_CONNECT, ramped up by --connect_rate), speaks MQTT through
// ClientSession, publishes stamped messages while the run phase allows, and checks what its
// subscribers receive (latency histogram, per-publisher sequence tracking).
//
// One send in flight per connection (io_uring does not order two sends on one socket); everything a
// connection wants to send during one loop turn is appended to its pending buffer and sent as one.
//
// Thread ownership: constructed and Init()ed on the main thread, then Run() on the worker's own
// thread; progress() is read concurrently by the main thread; Finish() after the thread is joined.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "net/ring.h"
#include "tools/bench/bench_config.h"
#include "tools/bench/client_session.h"
#include "tools/bench/client_stream.h"
#include "tools/bench/run_plan.h"
#include "tools/bench/run_totals.h"
#include "tools/bench/sequence_tracker.h"
#include "tools/bench/shared_state.h"

namespace ringmq::bench {

struct BrokerAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
};

class Worker {
 public:
  Worker(uint32_t index, const BenchConfig& config, const RunPlan& plan, SharedState& shared,
         const BrokerAddress& broker);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  absl::Status Init();
  void Run();
  const WorkerProgress& progress() const { return progress_; }
  // Totals including loss accounting; call after the thread has been joined.
  RunTotals Finish();

 private:
  enum class ConnState : uint8_t { kPending, kTcpConnecting, kMqttConnecting, kSubscribing, kReady, kClosed };

  struct Connection {
    Connection(const ClientPlan& client_plan, const SessionSettings& settings)
        : plan(&client_plan), session(settings) {}
    const ClientPlan* plan;
    ClientSession session;
    int fd = -1;
    ConnState state = ConnState::kPending;
    bool recv_armed = false;
    bool send_in_flight = false;
    bool dirty = false;    // in dirty_: has bytes to flush this loop turn
    bool stalled = false;  // in stalled_: a publisher held back by --rate or --e2e_window
    std::string rx_partial;  // the start of a packet split across receive buffers
    std::string tx_pending;  // appended to during a loop turn
    std::string tx_sending;  // owned by the send in flight
    // TLS/WebSocket only (null on tcp, whose MQTT bytes go to the socket as they are): the transport,
    // and the bytes it wrote that are still to be sent (tx_pending then holds MQTT bytes to encode).
    std::unique_ptr<ClientStream> stream;
    std::string tx_wire;
    size_t tx_sent = 0;
    int64_t last_tx_ns = 0;
    // Publisher side.
    uint64_t next_sequence = 0;
    int64_t rate_origin_ns = 0;
    bool window_blocked = false;
    uint64_t window_seen_delivered = 0;
    int64_t window_blocked_since_ns = 0;
    uint64_t window_written_off = 0;
    // Subscriber side, keyed by publisher index.
    absl::flat_hash_map<uint32_t, SequenceTracker> trackers;
  };
  // The ring keeps an operation's kind in the low three bits of its target's address.
  static_assert(alignof(Connection) >= 8);

  bool Opening(const Connection& c) const {
    return c.state == ConnState::kTcpConnecting || c.state == ConnState::kMqttConnecting;
  }
  uint32_t Slot(const Connection& c) const { return static_cast<uint32_t>(&c - conns_.data()); }

  // Event loop.
  void ObservePhase(int64_t now);
  void ArmTicks();
  void ProcessCompletions();
  void Dispatch(const Completion& completion, int64_t now);
  void OnTick(int64_t now);
  void FlushDirty(int64_t now);
  void ShutDown();
  void WaitAndProcess(int64_t timeout_ns);

  // Connections.
  void StartConnects(int64_t now);
  void Open(Connection& c, int64_t now);
  void OnConnectDone(Connection& c, int result, int64_t now);
  void OnRecv(Connection& c, const Completion& completion, int64_t now);
  void OnSendDone(Connection& c, int result, int64_t now);
  void ArmRecv(Connection& c);
  void Consume(Connection& c, std::span<const uint8_t> data, int64_t now);
  void ConsumeWire(Connection& c, std::span<const uint8_t> wire, int64_t now);
  // Moves the MQTT bytes of tx_pending through the stream; false if the connection was lost.
  bool EncodePending(Connection& c);
  void CountHandshake(const Connection& c);
  size_t ParsePackets(Connection& c, std::span<const uint8_t> data, int64_t now);
  void OnSessionEvent(Connection& c, const SessionEvent& event, int64_t now);
  void BecomeReady(Connection& c);
  void ConnectionLost(Connection& c, std::string_view why);
  void MarkDirty(Connection& c);
  void Flush(Connection& c, int64_t now);
  void SendKeepAlives(int64_t now);

  // Publishing and receiving.
  void Pump(Connection& c, int64_t now);
  uint64_t WindowRoom(Connection& c, int64_t now);
  void PumpStalled(int64_t now);
  void FlushDelivered();
  void OnMessage(Connection& c, std::string_view payload, int64_t now);

  const uint32_t index_;
  const BenchConfig& config_;
  const RunPlan& plan_;
  SharedState& shared_;
  const BrokerAddress broker_;

  std::unique_ptr<TlsClientContext> tls_;  // tls and wss: the worker's SSL_CTX and session ticket
  std::string app_scratch_;  // what a stream decoded from one receive, before MQTT parsing
  std::unique_ptr<Ring> ring_;  // with the receive buffers of all the worker's connections
  std::vector<Connection> conns_;  // reserved once: a Connection's address is its ring target
  std::vector<uint32_t> dirty_;
  std::vector<uint32_t> stalled_;
  std::vector<uint32_t> stalled_scratch_;
  std::vector<uint32_t> publishers_;
  // Deliveries counted per publisher since the last received buffer: one shared atomic add per
  // publisher and buffer instead of a locked add per message (a tenth of a fan-in subscriber's CPU).
  std::vector<uint32_t> delivered_pending_;  // indexed by publisher; sized on the first delivery
  std::vector<uint32_t> delivered_touched_;
  std::string payload_;  // the stamped payload, rewritten per message

  Phase phase_ = Phase::kConnecting;
  int64_t measure_start_ns_ = INT64_MAX;
  int64_t measure_end_ns_ = INT64_MAX;
  __kernel_timespec slow_tick_{};
  __kernel_timespec fast_tick_{};
  bool slow_tick_armed_ = false;
  bool fast_tick_armed_ = false;
  bool connects_throttled_ = false;
  uint32_t outstanding_ops_ = 0;  // connects, armed receives and sends the kernel still owns

  uint32_t next_to_open_ = 0;
  uint32_t opening_ = 0;
  uint64_t connects_started_ = 0;
  int64_t connect_origin_ns_ = 0;
  int64_t last_second_ns_ = 0;
  int errors_logged_ = 0;

  RunTotals totals_;
  WorkerProgress progress_;
};

}  // namespace ringmq::bench
