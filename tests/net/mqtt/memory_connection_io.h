// MemoryConnectionIo: the shard loop's side of MqttProtocol (net/mqtt/connection_io.h), kept in
// memory for the protocol's unit tests and benchmarks. Connections are opened by the caller, the
// broker's output is read from their `io.out`, and a close only marks the connection closing (after
// telling the protocol, as the loop does). One shard: nothing is ever handed over.
//
// Thread ownership: one test's or benchmark's thread.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "net/connection.h"
#include "net/mqtt/connection_io.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

using Bytes = std::vector<uint8_t>;

// The loop's side, in memory: connections are opened by the test, output is read from `io.out`.
class MemoryConnectionIo : public ConnectionIo {
 public:
  void set_protocol(MqttProtocol* protocol) { protocol_ = protocol; }

  Connection* Open() {
    auto conn = std::make_unique<Connection>();
    conn->serial = ++serial_;
    connections_.insert(conn.get());
    owned_.push_back(std::move(conn));
    return owned_.back().get();
  }
  // The peer went away without a DISCONNECT (what the loop does on a reset or EOF).
  void PeerLost(Connection* conn) { Close(conn, "connection closed by peer"); }

  // Everything the broker wrote to `conn` since the last call.
  Bytes TakeOutput(Connection* conn) {
    if (conn->io == nullptr) return {};
    std::string out = std::exchange(conn->io->out, std::string());
    return Bytes(out.begin(), out.end());
  }
  bool closed(const Connection* conn) const { return conn->state == Connection::State::kClosing; }
  const std::string& close_reason(const Connection* conn) const { return close_reasons_.at(conn); }

  IoBuffers& Buffers(Connection* conn) override {
    if (conn->io == nullptr) conn->io = std::make_unique<IoBuffers>();
    return *conn->io;
  }
  void ReleaseBuffersIfIdle(Connection*) override {}
  void MarkForFlush(Connection*) override {}
  void Close(Connection* conn, std::string_view why) override {
    if (conn->state == Connection::State::kClosing) return;
    close_reasons_[conn] = std::string(why);
    protocol_->OnConnectionClosing(conn);
    conn->state = Connection::State::kClosing;
  }
  const absl::flat_hash_set<Connection*>& connections() const override { return connections_; }
  void StopReading(Connection*) override {}
  void ResumeReading(Connection*) override {}
  void ConsumeArrivedInput(Connection*) override {}
  void HandOff(Connection*, std::span<const uint8_t>) override {
    std::abort();  // one shard hands nothing off
  }
  void AdoptHandedOff(std::unique_ptr<HandoffEnvelope>) override {
    std::abort();  // one shard adopts nothing
  }
  void ScheduleDeadline(Connection*) override {}
  void WatchIncompletePacket(Connection*) override {}
  absl::StatusOr<std::optional<std::string>> TransportIdentity(const Connection*) const override {
    return std::nullopt;
  }
  std::string PeerText(const Connection*) const override { return ""; }

 private:
  MqttProtocol* protocol_ = nullptr;
  uint32_t serial_ = 0;
  absl::flat_hash_set<Connection*> connections_;
  std::vector<std::unique_ptr<Connection>> owned_;
  absl::flat_hash_map<const Connection*, std::string> close_reasons_;
};

}  // namespace ringmq
