#include "net/broker.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <memory>
#include <thread>
#include <vector>

#include "net/listener.h"
#include "net/log.h"
#include "net/monotonic_clock.h"
#include "net/shard.h"

namespace ringmq {
namespace {

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  return cpus;
}

void PinToCpu(std::thread& thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(thread.native_handle(), sizeof(set), &set);
}

}  // namespace

absl::Status RunBroker(BrokerConfig config) {
  // Signals are taken by sigwait() on this thread only; the shard threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int shard_count = config.shards;
  // listen_fds[shard] holds that shard's socket of every listener.
  std::vector<std::vector<int>> listen_fds(shard_count);
  for (ListenAddress& address : config.listen) {
    absl::StatusOr<std::vector<int>> fds = OpenListeners(address, shard_count, config.connect_timeout_s);
    if (!fds.ok()) return fds.status();
    for (int shard = 0; shard < shard_count; ++shard) listen_fds[shard].push_back((*fds)[shard]);
  }

  ShardMesh mesh(shard_count, config.cross_shard_queue_size);
  BrokerShared shared;
  shared.start_ms = MonotonicMs();
  if (config.max_connections_per_ip > 0) shared.per_ip = std::make_unique<PerIpConnections>(config.max_connections_per_ip);
  if (config.max_connect_rate > 0) {
    for (size_t i = 0; i < config.listen.size(); ++i) {
      shared.connect_rates.push_back(std::make_unique<ConnectRateLimiter>(config.max_connect_rate));
    }
  }
  std::vector<ShardStats> stats(shard_count);
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < shard_count; ++i) {
    shards.push_back(std::make_unique<Shard>(i, config, mesh, shared, stats, std::move(listen_fds[i])));
  }

  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  const std::vector<int> cpus = AllowedCpus();
  for (int i = 0; i < shard_count; ++i) {
    threads.emplace_back([&, i] {
      if (absl::Status status = shards[i]->Run(); !status.ok()) {
        Log(LogLevel::kError, "shard %d failed: %s", i, status.ToString());
        failed.fetch_add(1);
        kill(getpid(), SIGTERM);
      }
    });
    if (config.pin_threads && !cpus.empty()) PinToCpu(threads.back(), cpus[i % cpus.size()]);
  }
  for (const ListenAddress& address : config.listen) {
    Log(LogLevel::kInfo, "listening on %s", address.ToString());
  }
  Log(LogLevel::kInfo, "ringmq %s running with %d shards", RINGMQ_VERSION, shard_count);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(LogLevel::kInfo, "received %s, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  shared.stopping.store(true, std::memory_order_release);
  for (int i = 0; i < shard_count; ++i) mesh.Wake(i);
  for (std::thread& thread : threads) thread.join();
  shards.clear();
  Log(LogLevel::kInfo, "stopped");
  if (failed.load() > 0) return absl::InternalError("a shard failed to start");
  return absl::OkStatus();
}

}  // namespace ringmq
