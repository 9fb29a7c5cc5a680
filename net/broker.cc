#include "net/bridge/bridge_set.h"
#include "net/broker.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/access_policy.h"
#include "net/broker_metrics.h"
#include "net/build_info.h"
#include "net/listener.h"
#include "net/log.h"
#include "net/metrics_server.h"
#include "net/monotonic_clock.h"
#include "net/persistence/broker_persistence.h"
#include "net/runtime_limits.h"
#include "net/shard.h"
#include "net/transport/tls_context.h"
#include "net/transport/transport_factory.h"

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

std::string DescribePolicy(const AccessPolicy& policy, const AccessFiles& files) {
  return absl::StrCat("passwords: ", policy.passwords ? files.password_file : "none",
                      ", acl: ", policy.acl ? files.acl_file : "none",
                      ", anonymous clients: ", policy.allow_anonymous ? "allowed" : "refused");
}

bool IsLoopback(const ListenAddress& address) {
  return address.host == "::1" || address.host.starts_with("127.");
}

void WarnIfOpenToAnyone(const AccessPolicy& policy, const std::vector<ListenUrl>& listen) {
  if (policy.authenticates() && !policy.allow_anonymous) return;
  for (const ListenUrl& url : listen) {
    if (IsLoopback(url.address)) continue;
    Log(LogLevel::kWarning,
        "%s: clients may connect without logging in (%s); see --password_file, --allow_anonymous, --acl_file",
        url.ToString(), policy.authenticates() ? "--allow_anonymous" : "no --password_file");
  }
}

// SIGHUP: the files are read again; a file that fails to parse leaves the policy in force as it was.
void ReloadAccessPolicy(const AccessFiles& files, AccessPolicyStore& store) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy = LoadAccessPolicy(files, store.generation() + 1);
  if (!policy.ok()) {
    Log(LogLevel::kError, "SIGHUP: access policy not reloaded, the previous one stays: %s", policy.status().message());
    return;
  }
  Log(LogLevel::kInfo, "SIGHUP: access policy reloaded (%s)", DescribePolicy(**policy, files));
  store.Replace(*std::move(policy));
}

// SIGHUP: certificate and key are read again for new TLS connections; existing ones keep theirs. A
// file that fails to load leaves the context in force as it was.
void ReloadTls(TlsContextHolder& tls) {
  if (absl::Status status = tls.Reload(); !status.ok()) {
    Log(LogLevel::kError, "SIGHUP: TLS certificate not reloaded, the previous one stays: %s", status.message());
    return;
  }
  Log(LogLevel::kInfo, "SIGHUP: TLS certificate and key reloaded (%s)", tls.Current()->description());
}

// --metrics_listen: the Prometheus endpoint, on its own thread, reading the shards' counters.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(ListenAddress address,
                                                                  const std::vector<ShardStats>& stats,
                                                                  const BrokerShared& shared) {
  const BuildInfo build{std::string(RingmqVersion()), std::string(RingmqRevision())};
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(address, [&stats, &shared, build] {
        return FormatPrometheusText(CollectMetrics(stats, shared, build, MonotonicMs()));
      });
  if (server.ok()) Log(LogLevel::kInfo, "metrics endpoint http://%s/metrics", address.ToString());
  return server;
}

// --data_dir: every shard's log replayed (in parallel) before any client is served.
absl::StatusOr<RestoredState> StartPersistence(const BrokerConfig& config, ShardMesh& mesh) {
  if (config.data_dir.empty() || config.persistence == BrokerConfig::Persistence::kOff) return RestoredState{};
  const int64_t start = MonotonicMs();
  absl::StatusOr<RestoredState> state = OpenPersistence(config, [&mesh](int shard) { mesh.Wake(shard); });
  if (!state.ok()) return state.status();
  Log(LogLevel::kInfo, "persistence: %s mode in %s, %zu retained messages restored in %lld ms",
      config.persistence == BrokerConfig::Persistence::kSync ? "sync" : "async", config.data_dir,
      state->retained.size(), static_cast<long long>(MonotonicMs() - start));
  return state;
}

// Every shard's replica takes every restored message (shared, not copied), each on its own thread.
void RestoreRetained(const std::vector<MessageRef>& messages, std::vector<std::unique_ptr<Shard>>& shards) {
  if (messages.empty()) return;
  const int64_t start = MonotonicMs();
  std::vector<std::thread> threads;
  for (std::unique_ptr<Shard>& shard : shards) {
    threads.emplace_back([&messages, &shard] { shard->protocol().RestoreRetained(messages); });
  }
  for (std::thread& thread : threads) thread.join();
  Log(LogLevel::kInfo, "persistence: %zu shard replicas of the retained messages filled in %lld ms", shards.size(),
      static_cast<long long>(MonotonicMs() - start));
}

// Each shard takes its own sessions, on its own thread. Route announcements go into the mesh queues,
// which the shards drain once they run, before their first client's PUBLISH.
void RestoreSessions(RestoredState& state, std::vector<std::unique_ptr<Shard>>& shards) {
  if (state.stores.empty()) return;
  const int64_t start = MonotonicMs();
  size_t count = 0;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < shards.size(); ++i) {
    count += state.sessions[i].size();
    threads.emplace_back([&state, &shards, i] {
      shards[i]->protocol().RestoreSessions(std::move(state.sessions[i]), state.next_outbound_seq);
    });
  }
  for (std::thread& thread : threads) thread.join();
  state.sessions.clear();
  Log(LogLevel::kInfo, "persistence: %zu sessions restored in %lld ms", count,
      static_cast<long long>(MonotonicMs() - start));
}

}  // namespace

absl::Status RunBroker(BrokerConfig config, ConfigSource source) {
  // Signals are taken by sigwait() on this thread only; the shard threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::shared_ptr<const AccessPolicy>> initial_policy = LoadAccessPolicy(config.access, 1);
  if (!initial_policy.ok()) return initial_policy.status();
  AccessPolicyStore policies(*std::move(initial_policy));
  RuntimeLimitsStore limits(std::make_shared<const RuntimeLimits>(RuntimeLimits::From(config, 1)));
  AccessFiles access_files = config.access;  // SIGHUP may name other files
  ConfigReloader reloader(std::move(source), access_files, limits);
  const int shard_count = config.shards;
  // listen_fds[shard] holds that shard's socket of every listener.
  std::vector<std::vector<int>> listen_fds(shard_count);
  absl::StatusOr<ListenerTransports> transports = MakeListenerTransports(config, &limits);
  if (!transports.ok()) return transports.status();
  for (ListenUrl& url : config.listen) {
    absl::StatusOr<std::vector<int>> fds = OpenListeners(url.address, shard_count, config.connect_timeout_s);
    if (!fds.ok()) return fds.status();
    for (int shard = 0; shard < shard_count; ++shard) listen_fds[shard].push_back((*fds)[shard]);
  }

  ShardMesh mesh(shard_count, config.cross_shard_queue_size);
  BrokerShared shared;
  shared.start_ms = MonotonicMs();
  shared.access_policies = &policies;
  shared.runtime_limits = &limits;
  shared.transform_factories = std::move(transports->factories);
  // Both exist even while their limit is 0 (off): SIGHUP may set it. The shards pass the limit in force.
  shared.per_ip = std::make_unique<PerIpConnections>(config.max_connections_per_ip);
  for (size_t i = 0; i < config.listen.size(); ++i) {
    shared.connect_rates.push_back(std::make_unique<ConnectRateLimiter>(config.max_connect_rate));
  }
  if (absl::Status bridges = PrepareBridges(config.bridges, shared); !bridges.ok()) return bridges;
  std::vector<ShardStats> stats(shard_count);
  std::unique_ptr<MetricsServer> metrics;
  if (config.metrics_listen.has_value()) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server = StartMetricsServer(*config.metrics_listen, stats, shared);
    if (!server.ok()) return server.status();
    metrics = *std::move(server);
  }
  absl::StatusOr<RestoredState> persistence = StartPersistence(config, mesh);
  if (!persistence.ok()) return persistence.status();
  for (std::unique_ptr<ShardStore>& store : persistence->stores) shared.durable_stores.push_back(store.get());
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < shard_count; ++i) {
    shards.push_back(std::make_unique<Shard>(i, config, mesh, shared, stats, std::move(listen_fds[i])));
  }
  RestoreRetained(persistence->retained, shards);
  persistence->retained.clear();
  RestoreSessions(*persistence, shards);

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
  for (const ListenUrl& url : config.listen) {
    // HOST:PORT first: scripts and tests read the bound port from it.
    Log(LogLevel::kInfo, "listening on %s, %s", url.address.ToString(), DescribeListener(url));
  }
  Log(LogLevel::kInfo, "%s running with %d shards", VersionLine(), shard_count);
  Log(LogLevel::kInfo, "access: %s", DescribePolicy(*policies.Current(), config.access));
  WarnIfOpenToAnyone(*policies.Current(), config.listen);

  // The bridge file is read again on every SIGHUP (with the flags, so a file that does not parse
  // refuses the reload whole); the shards apply the difference at their next tick.
  reloader.ApplyOnEachReread([&shared](const BrokerConfig& next) {
    if (absl::Status status = shared.bridges.Publish(next.bridges, /*log_changes=*/true); !status.ok()) {
      Log(LogLevel::kError, "SIGHUP: bridges not reloaded, the running ones stay: %s", status.message());
    }
  });
  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    reloader.Reload();  // first: it may name other access files
    ReloadAccessPolicy(access_files, policies);
    if (transports->tls != nullptr) ReloadTls(*transports->tls);
  }
  Log(LogLevel::kInfo, "received %s, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  shared.stopping.store(true, std::memory_order_release);
  for (int i = 0; i < shard_count; ++i) mesh.Wake(i);
  for (std::thread& thread : threads) thread.join();
  metrics.reset();
  std::vector<MqttProtocol*> protocols;
  for (std::unique_ptr<Shard>& shard : shards) protocols.push_back(&shard->protocol());
  for (MqttProtocol* protocol : protocols) protocol->SaveRetainedLeftovers(protocols);
  shards.clear();
  persistence->stores.clear();  // each writes and syncs what its shard saved last
  shared.durable_stores.clear();
  Log(LogLevel::kInfo, "stopped");
  if (failed.load() > 0) return absl::InternalError("a shard failed to start");
  return absl::OkStatus();
}

}  // namespace ringmq
