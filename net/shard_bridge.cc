// The shard's side of bridges (net/bridge/): the calls a bridge makes into the stream layer. A bridge
// connection is an ordinary connection whose stream is a BridgeLink, so nothing else changes here.
#include "net/bridge/bridge_set.h"
#include "net/shard.h"

namespace ringmq {

void Shard::MakeBridges() {
  // Made even without bridges: a SIGHUP may bring some (the set then costs one atomic load a tick).
  BridgeHost host;
  host.ring = ring_.get();
  host.adopt = [this](int fd, std::unique_ptr<StreamTransform> link, std::string wire) {
    // Counted like an accepted socket (Release uncounts every connection); never refused for it, as
    // the bridge is the operator's own.
    shared_.open_connections.fetch_add(1);
    Connection* conn = AdoptSocket(Adopted{.fd = fd, .transform = std::move(link), .wire = std::move(wire)});
    if (conn != nullptr) conn->bridge = true;  // before its CONNECT, which comes from the remote's CONNACK
    return conn;
  };
  host.wire = [this](Connection* conn) -> std::string* {
    if (conn->state == Connection::State::kClosing) return nullptr;
    Stream* stream = StreamOf(conn);
    return stream == nullptr ? nullptr : &stream->wire;
  };
  host.flush = [this](Connection* conn) { MarkForFlush(conn); };
  host.close = [this](Connection* conn, std::string_view why) { Close(conn, why); };
  host.stopping = [this] { return stopping_; };
  host.connect_timeout_ms = static_cast<int64_t>(config_.connect_timeout_s) * 1000;
  bridges_ = std::make_unique<BridgeSet>(index_, mesh_.shard_count(), shared_.bridges, std::move(host));
}

}  // namespace ringmq
