// The Prometheus endpoint (--metrics_listen): GET /metrics over HTTP/1.1, answered on a thread of its
// own, never a shard's. Each response is rendered on that thread from the shards' relaxed counters
// (net/broker_metrics.h), so a scrape costs the shards nothing but the cache lines it reads.
//
// Bounded against careless or hostile clients: at most kMaxClients connections at once (more are
// closed at accept), a request head of at most kMaxRequestBytes, and kRequestTimeoutMs from accept to
// the last byte of the response; every connection is closed after its one response. Sockets are
// non-blocking and served with poll(2), so one slow client cannot hold up another.
//
// Thread ownership: Start and the destructor are called by the broker's main thread; everything else
// runs on the server's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "net/broker_config.h"

namespace ringmq {

class MetricsServer {
 public:
  static constexpr size_t kMaxClients = 16;
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr int64_t kRequestTimeoutMs = 5000;

  // The body of a GET /metrics response (Prometheus text format); called on the server's thread.
  using Render = std::function<std::string()>;

  // Binds `address` (port 0: ephemeral; `address.port` is set to the real one) and starts serving.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(ListenAddress& address, Render render);
  ~MetricsServer();  // stops serving and joins the thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

 private:
  struct Client {
    int fd = -1;
    int64_t deadline_ms = 0;
    std::string request;
    std::string response;  // empty until the request is complete
    size_t sent = 0;
  };

  MetricsServer(int listen_fd, int stop_fd, Render render);
  void Serve();
  void AcceptClients();
  // Reads what arrived and, once the head is complete, prepares the response; false: close it.
  bool ReadRequest(Client& client);
  bool WriteResponse(Client& client);  // false once the response is out (or the peer is gone)

  const int listen_fd_;
  const int stop_fd_;  // eventfd: the destructor wakes poll(2) with it
  const Render render_;
  std::vector<Client> clients_;
  std::thread thread_;
};

}  // namespace ringmq
