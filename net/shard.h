// A shard's event loop: one thread, one io_uring, its listeners' share of the connections. The loop
// owns the sockets and their transports (the stream layer: PROXY header, TLS, WebSocket), reads and
// sends through the ring, keeps each connection's timers, and hands the MQTT bytes to the shard's
// protocol component (net/mqtt/mqtt_protocol.h), which owns the sessions, the shard's part of the
// subscription table and the replicas of the route table and the retained store. Shards share
// nothing mutable; they talk over the ShardMesh queues.
//
// Files: shard.cc (loop, sockets, sends, closing, timers, shutdown), shard_stream.cc (transports),
// shard_limits.cc (admission at accept, --memory_limit).
//
// Thread ownership: constructed by the broker's main thread, then owned by its shard thread (Run()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/deadline_wheel.h"
#include "net/broker_config.h"
#include "net/connection.h"
#include "net/loop_clock.h"
#include "net/mqtt/connection_io.h"
#include "net/mqtt/mqtt_protocol.h"
#include "net/ring.h"
#include "net/runtime_limits.h"
#include "net/shard_mesh.h"
#include "net/shard_stats.h"

namespace ringmq {

class BridgeSet;  // net/bridge/bridge_set.h: only the files that drive it include it

struct Listener {
  int fd = -1;
  bool armed = false;
};

// A connection's entry in the shard's deadline wheel: the connection, told from a later one at the same
// address by its serial, and the state whose deadline the entry stands for. Each state schedules its
// own entry when the connection enters it, so an entry left from an earlier state is ignored.
// Packed into 12 bytes (16 with the wheel's due tick; one per connection): the serial keeps 24 bits,
// so a connection is mistaken for one 2^24 connections later at the same address at worst, and that
// costs one needless look at its deadline.
struct __attribute__((packed, aligned(4))) ConnectionTimer {
  static constexpr uint32_t kSerialMask = (1u << 24) - 1;
  static ConnectionTimer For(const Connection& conn) {
    ConnectionTimer timer{};
    timer.conn = const_cast<Connection*>(&conn);
    timer.serial = conn.serial & kSerialMask;
    timer.state = static_cast<uint32_t>(conn.state);
    return timer;
  }
  bool StandsFor(const Connection& conn) const {
    return (conn.serial & kSerialMask) == serial && static_cast<uint32_t>(conn.state) == state;
  }
  Connection* conn;
  uint32_t serial : 24;
  uint32_t state : 8;
};
static_assert(sizeof(ConnectionTimer) == 12);

class Shard final : private ConnectionIo {
 public:
  Shard(int index, const BrokerConfig& config, ShardMesh& mesh, BrokerShared& shared,
        std::vector<ShardStats>& all_stats, std::vector<int> listen_fds);
  ~Shard() override;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // The thread body: runs until the broker stops. Returns an error if the ring cannot be set up.
  absl::Status Run();

  // The shard's MQTT handling: the main thread restores and saves retained messages through it
  // before the shard runs and after it ended (net/broker.cc).
  MqttProtocol& protocol() { return protocol_; }

 private:
  // --- ConnectionIo: what the protocol asks of the loop (net/mqtt/connection_io.h) ---
  IoBuffers& Buffers(Connection* conn) override;
  void ReleaseBuffersIfIdle(Connection* conn) override;
  void MarkForFlush(Connection* conn) override;
  void Close(Connection* conn, std::string_view why) override;
  const absl::flat_hash_set<Connection*>& connections() const override { return connections_; }
  void StopReading(Connection* conn) override;
  void ResumeReading(Connection* conn) override;
  void ConsumeArrivedInput(Connection* conn) override;
  void HandOff(Connection* conn, std::span<const uint8_t> from_connect) override;
  void AdoptHandedOff(std::unique_ptr<HandoffEnvelope> handoff) override;
  void ScheduleDeadline(Connection* conn) override;
  void WatchIncompletePacket(Connection* conn) override;
  absl::StatusOr<std::optional<std::string>> TransportIdentity(const Connection* conn) const override;
  std::string PeerText(const Connection* conn) const override;

  // --- event loop and sockets (shard.cc) ---
  void Dispatch(const Completion& c);
  void OnAccept(Listener* listener, const Completion& c);
  // A socket accepted here or handed over by another shard, with its transports if it has any.
  struct Adopted {
    int fd = -1;
    std::string_view already_received;  // MQTT bytes (decoded already when there is a transform)
    std::optional<PeerAddress> counted_peer;
    std::unique_ptr<StreamTransform> transform;
    std::string wire;  // the transform's bytes not yet sent
    uint8_t listener = 0;
    bool count_proxied_peer = false;  // --max_connections_per_ip applies once the PROXY header is read
  };
  // Returns the new connection, or nullptr when it was closed at once.
  Connection* AdoptSocket(Adopted adopted);
  void OnRecv(Connection* conn, const Completion& c);
  // Bytes from the socket: straight to ConsumeInput on plain TCP, through the transports otherwise.
  void ConsumeWire(Connection* conn, std::span<const uint8_t> data) {
    if (conn->has_stream) {
      ConsumeStream(conn, data);
    } else {
      protocol_.ConsumeInput(conn, data);
    }
  }
  void OnSend(Connection* conn, int32_t res);
  void ArmRecv(Connection* conn);
  void ArmAccept(Listener* listener);
  void ArmWake();
  void FlushOutputs();
  void StartSend(Connection* conn);
  void MarkForRelease(Connection* conn);
  void ReleaseClosed();
  void Release(Connection* conn);
  void Abort(Connection* conn);

  // --- the stream layer: connections with transports (shard_stream.cc) ---
  struct Stream {
    std::unique_ptr<StreamTransform> transform;
    std::string wire;  // bytes for the socket not yet handed to it, in the order they were made
    uint8_t listener = 0;  // index of the --listen URL that accepted the connection
    bool count_proxied_peer = false;  // --max_connections_per_ip waits for the PROXY header
    bool tls_handshake_counted = false;  // the metrics counted its TLS handshake (completed or failed)
  };
  Stream* StreamOf(const Connection* conn) const;
  void AttachStream(Connection* conn, std::unique_ptr<Stream> stream);
  void ConsumeStream(Connection* conn, std::span<const uint8_t> data);
  // The handshake completed: the PROXY header's peer is counted (and logged), or refused.
  bool OnStreamEstablished(Connection* conn, Stream& stream);
  // Before establishment only: counts a completed TLS handshake, or the layer whose handshake failed.
  void CountHandshakeProgress(Stream& stream, const absl::Status& status);
  // The connection ends (kAbandoned) or times out (kTimeout) with its TLS handshake unfinished.
  void CountUnfinishedHandshake(Connection* conn, TlsFailure reason);
  void StartStreamSend(Connection* conn);
  // MQTT output (io.out and the queue's borrowed payloads, read from their Message) into stream.wire.
  absl::Status EncodeStreamOutput(Connection* conn, Stream& stream);
  // The connection closes: its last MQTT output, then the transports' closing form, go to the wire.
  void FinishStream(Connection* conn);

  // --- connection timers (shard.cc) ---
  void OnTick();
  // Keep-alive, CONNECT timeout and close grace: the deadline of the connection's current state, if any.
  std::optional<int64_t> DeadlineOf(const Connection* conn) const;
  std::optional<int64_t> IncompletePacketDeadline(const Connection* conn) const;
  void ScheduleConnectTimeouts();  // of the connections accepted since the last tick
  // The connection a wheel entry stands for, if it still exists and is still in that state.
  Connection* TimedConnection(const ConnectionTimer& timer) const;
  void OnConnectionDue(const ConnectionTimer& timer);
  void BeginShutdown();
  bool ShutdownComplete();

  // --- admission and memory (shard_limits.cc) ---
  struct Admission {
    bool admitted = false;
    std::optional<PeerAddress> counted_peer;  // counted against --max_connections_per_ip
  };
  // --max_connect_rate, --max_connections, --max_connections_per_ip for a socket just accepted.
  // `count_peer` false: the socket's peer is a load balancer; the PROXY header's peer is counted later.
  Admission Admit(size_t listener_index, int fd, bool count_peer);
  // A socket counted by Admit is closed for good (not handed to another shard).
  void ReleaseAdmission(const std::optional<PeerAddress>& counted_peer);
  void CheckMemory();              // RSS against --memory_limit, every kMemoryCheckMs
  bool RefusedForMemory(int fd);  // a new connection above --memory_limit is closed (true)

  const int index_;
  const BrokerConfig& config_;
  ShardMesh& mesh_;
  BrokerShared& shared_;
  ShardStats& stats_;
  LoopClock loop_clock_;  // busy and waiting time of the event loop, in stats_
  std::unique_ptr<Ring> ring_;
  std::vector<Listener> listeners_;

  absl::flat_hash_set<Connection*> connections_;
  std::vector<Connection*> flush_list_;
  std::vector<Connection*> release_list_;
  std::vector<std::unique_ptr<IoBuffers>> io_pool_;
  // The transports of the connections that have some (Connection::has_stream); stable addresses, as
  // a handler may look up another connection's stream while holding one.
  absl::flat_hash_map<Connection*, std::unique_ptr<Stream>> streams_;
  std::string stream_up_;  // MQTT bytes a Receive decoded, reused between calls
  // Connections counted against --max_connections_per_ip (only when it is set), by connection.
  absl::flat_hash_map<Connection*, PeerAddress> counted_peers_;
  // When to look at connections (lazily cancelled, see core/deadline_wheel.h); OnTick pops them, so
  // only what came due is visited, never every connection. Turns of 256 s (longer deadlines wait in
  // the overflow list): the bucket array is a fixed cost of every shard, and keep-alives are
  // re-checked lazily anyway.
  static constexpr size_t kConnectionDeadlineSlots = 1024;
  DeadlineWheel<ConnectionTimer> connection_deadlines_{kLoopTickMs, kConnectionDeadlineSlots};
  // Connections accepted since the last tick. Nearly all have sent CONNECT by then (the listener
  // defers accept until the first bytes arrive), so only the others need a CONNECT-timeout entry:
  // a connect storm then leaves one wheel entry per connection, not two.
  std::vector<ConnectionTimer> accepted_since_tick_;
  uint64_t wake_buffer_ = 0;
  bool wake_armed_ = false;
  bool stopping_ = false;
  bool closing_for_shutdown_ = false;  // every shard's wills are out: the connections are closing
  int64_t now_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  int64_t next_memory_check_ms_ = 0;
  int64_t stop_deadline_ms_ = 0;
  uint32_t connection_serial_ = 0;

  // Bridges to other brokers living on this shard (net/bridge/; made in Run once the ring exists).
  // Each is a connection of this shard whose stream is a BridgeLink, so the hooks here are few:
  // MakeBridges, the kConnect completion, the tick, and the close reason given to the link.
  std::unique_ptr<BridgeSet> bridges_;
  void MakeBridges();  // net/shard_bridge.cc

  MqttProtocol protocol_;  // last: it is given the members above
};

}  // namespace ringmq
