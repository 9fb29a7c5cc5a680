// One bridge's life on its shard: connect (on the shard's ring), hand the socket with its BridgeLink
// to the shard as a connection, keep it alive with PINGREQs, and after a loss reconnect with backoff.
// One log line per state change: connected, lost (why, retry in N ms).
//
// Thread ownership: owned by the BridgeSet of the shard the bridge's local client id hashes to; only
// that shard's thread touches it.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/bridge/bridge_config.h"
#include "net/bridge/bridge_link.h"
#include "net/bridge/bridge_stats.h"
#include "net/bridge/bridge_topics.h"
#include "net/ring.h"
#include "net/transport/tls_context.h"

namespace ringmq {

struct Connection;

// What a bridge needs from its shard: a few calls into the shard's stream layer.
struct BridgeHost {
  Ring* ring = nullptr;
  // Makes `fd` one of the shard's connections with `link` as its stream and `wire` as its first
  // output; nullptr when the shard closed it at once.
  std::function<Connection*(int fd, std::unique_ptr<StreamTransform> link, std::string wire)> adopt;
  // The connection's bytes waiting for the socket (to append to), or nullptr once it is closing.
  std::function<std::string*(Connection*)> wire;
  std::function<void(Connection*)> flush;  // sends what was appended to wire()
  std::function<void(Connection*, std::string_view why)> close;
  std::function<bool()> stopping;  // the broker is shutting down: no more connects
  int64_t connect_timeout_ms = 10000;
};

class alignas(8) BridgeRunner final : public BridgeLinkObserver {
 public:
  // `previous_topics`: see BridgeEntry (net/bridge/bridge_registry.h).
  BridgeRunner(const BridgeConfig& config, std::shared_ptr<const TlsContext> tls, BridgeStats& stats,
               const BridgeHost& host, std::vector<BridgeTopic> previous_topics = {});
  ~BridgeRunner() override;
  BridgeRunner(const BridgeRunner&) = delete;
  BridgeRunner& operator=(const BridgeRunner&) = delete;

  // Every shard tick: connects when a retry is due, times out a connect, sends keep-alives.
  void OnTick(int64_t now_ms);
  // The ring's answer to the connect this runner issued.
  void OnConnectDone(int32_t result, int64_t now_ms);

  // The bridge was removed or changed (SIGHUP): no more connects; a connect in flight is cancelled,
  // a link closed. The runner must live on until stopped(), as the ring and the link refer to it.
  void Stop();
  bool stopped() const { return state_ == State::kStopped; }
  const BridgeConfig& config() const { return config_; }

  void OnLinkUp(bool session_present, uint16_t keepalive_s) override;
  void OnLinkGone(const std::string& why) override;

 private:
  enum class State : uint8_t { kWaiting, kConnecting, kLinked, kStopped };

  void StartConnect(int64_t now_ms);
  // Connects to the next address the host name resolved to; false when none is left.
  bool ConnectNext(int64_t now_ms, std::string& why);
  // The attempt or the connection ended: logs why and when the next attempt is.
  void ScheduleRetry(std::string_view why);
  std::string Where() const;

  // A copy: the snapshot it came from may be replaced by a SIGHUP while this runner still stops.
  const BridgeConfig config_;
  const BridgeTopicMap topics_;
  const BridgeTopicMap previous_topics_;  // empty: none
  std::shared_ptr<const TlsContext> tls_;
  BridgeStats& stats_;
  const BridgeHost& host_;
  State state_ = State::kWaiting;
  int fd_ = -1;  // while connecting
  // What the host resolved to, tried in order (say ::1 then 127.0.0.1 for localhost). The one being
  // connected to must stay valid until the ring submits the connect.
  struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
  };
  std::vector<Address> addresses_;
  size_t next_address_ = 0;
  bool cancel_sent_ = false;
  int64_t now_ms_ = 0;
  int64_t next_attempt_ms_ = 0;  // kWaiting
  int64_t connect_started_ms_ = 0;
  int64_t next_ping_ms_ = 0;
  int64_t ping_interval_ms_ = 0;  // the keep-alive the remote accepted
  uint32_t retry_delay_ms_;
  uint64_t attempts_ = 0;
  bool was_up_ = false;  // the current connection got the remote's CONNACK
  bool counted_up_ = false;  // this runner added 1 to stats_.connected (a changed bridge's old and new share it)
  bool stop_requested_ = false;
  Connection* conn_ = nullptr;  // kLinked
  BridgeLink* link_ = nullptr;  // kLinked; owned by the shard's stream table
};

}  // namespace ringmq
