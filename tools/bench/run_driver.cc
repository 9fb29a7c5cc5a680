#include "tools/bench/run_driver.h"

#include <netdb.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/bench/broker_probe.h"
#include "tools/bench/payload_stamp.h"
#include "tools/bench/run_plan.h"
#include "tools/bench/shared_state.h"
#include "tools/bench/worker.h"

namespace ringmq::bench {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

absl::StatusOr<BrokerAddress> ResolveBroker(const BenchConfig& config) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = absl::StrCat(config.port);
  if (int err = getaddrinfo(config.host.c_str(), port.c_str(), &hints, &found); err != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", config.host, ": ", gai_strerror(err)));
  }
  BrokerAddress broker;
  std::memcpy(&broker.address, found->ai_addr, found->ai_addrlen);
  broker.length = found->ai_addrlen;
  freeaddrinfo(found);
  return broker;
}

// Thousands of connections need thousands of descriptors: take whatever the hard limit allows.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kConnecting:
      return "connect";
    case Phase::kWarmup:
      return "warmup";
    case Phase::kMeasure:
      return "measure";
    case Phase::kDrain:
      return "drain";
    case Phase::kStop:
      return "stop";
  }
  return "?";
}

class Run {
 public:
  Run(const BenchConfig& config, RunPlan plan, const BrokerAddress& broker)
      : config_(config), plan_(std::move(plan)), broker_(broker),
        shared_(plan_.publisher_count, MonotonicNowNs()), start_ns_(MonotonicNowNs()) {}

  absl::StatusOr<RunOutcome> Execute();

 private:
  absl::Status StartWorkers();
  void StopWorkers();
  // Sleeps until `deadline_ns` or until `done` returns true, printing progress every second.
  void WaitUntil(int64_t deadline_ns, const std::function<bool()>& done);
  void PrintProgress(int64_t now);
  bool AllDelivered() const;
  std::optional<ProcessSample> SampleBroker() const;
  RunOutcome Finish(bool connect_failed, double measured_seconds);

  const BenchConfig& config_;
  const RunPlan plan_;
  const BrokerAddress broker_;
  SharedState shared_;
  const int64_t start_ns_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  int64_t last_progress_ns_ = 0;
  uint64_t last_sent_ = 0;
  uint64_t last_received_ = 0;
  std::optional<ProcessSample> broker_before_;
  std::optional<ProcessSample> broker_connected_;
  std::optional<ProcessSample> broker_measure_start_;
  std::optional<ProcessSample> broker_measure_end_;
};

absl::Status Run::StartWorkers() {
  for (uint32_t i = 0; i < WorkerCount(config_); ++i) {
    workers_.push_back(std::make_unique<Worker>(i, config_, plan_, shared_, broker_));
    if (absl::Status status = workers_.back()->Init(); !status.ok()) return status;
  }
  for (auto& worker : workers_) threads_.emplace_back([w = worker.get()] { w->Run(); });
  return absl::OkStatus();
}

void Run::StopWorkers() {
  shared_.set_phase(Phase::kStop);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void Run::WaitUntil(int64_t deadline_ns, const std::function<bool()>& done) {
  while (true) {
    const int64_t now = MonotonicNowNs();
    if (now - last_progress_ns_ >= kSecondNs) PrintProgress(now);
    if (now >= deadline_ns || (done && done())) return;
    absl::SleepFor(std::min(kPollInterval, absl::Nanoseconds(deadline_ns - now)));
  }
}

void Run::PrintProgress(int64_t now) {
  const double interval_s = last_progress_ns_ == 0 ? (now - start_ns_) / 1e9 : (now - last_progress_ns_) / 1e9;
  last_progress_ns_ = now;
  uint64_t connected = 0, sent = 0, received = 0, errors = 0;
  LatencyHistogram latency;
  for (const auto& worker : workers_) {
    const WorkerProgress& p = worker->progress();
    connected += p.connected.load(std::memory_order_relaxed);
    sent += p.sent.load(std::memory_order_relaxed);
    received += p.received.load(std::memory_order_relaxed);
    errors += p.errors.load(std::memory_order_relaxed);
    latency.Merge(p.LatencySnapshot());
  }
  const double sent_rate = interval_s > 0 ? (sent - last_sent_) / interval_s : 0;
  const double received_rate = interval_s > 0 ? (received - last_received_) / interval_s : 0;
  last_sent_ = sent;
  last_received_ = received;
  if (!config_.progress) return;
  std::fprintf(stderr, "[%6.1fs] %-7s conn %lu/%zu  sent %.0f/s  recv %.0f/s  p99 %.1f us  errors %lu\n",
               (now - start_ns_) / 1e9, std::string(PhaseName(shared_.phase())).c_str(), connected,
               plan_.clients.size(), sent_rate, received_rate, latency.ValueAtQuantile(0.99) / 1000.0, errors);
}

bool Run::AllDelivered() const {
  const uint64_t receivers = plan_.receivers_per_publisher;
  for (uint32_t p = 0; p < plan_.publisher_count; ++p) {
    const PublisherCounters& counters = shared_.publishers[p];
    if (counters.delivered.load(std::memory_order_relaxed) < counters.sent.load(std::memory_order_relaxed) * receivers) {
      return false;
    }
  }
  return true;
}

std::optional<ProcessSample> Run::SampleBroker() const {
  if (config_.broker_pid == 0) return std::nullopt;
  absl::StatusOr<ProcessSample> sample = SampleProcess(config_.broker_pid);
  if (!sample.ok()) {
    std::fprintf(stderr, "ringmq-bench: broker sample: %s\n", std::string(sample.status().message()).c_str());
    return std::nullopt;
  }
  return *sample;
}

absl::StatusOr<RunOutcome> Run::Execute() {
  broker_before_ = SampleBroker();
  if (absl::Status started = StartWorkers(); !started.ok()) {
    StopWorkers();
    return started;
  }
  const uint32_t connections = static_cast<uint32_t>(plan_.clients.size());
  WaitUntil(MonotonicNowNs() + absl::ToInt64Nanoseconds(config_.connect_timeout), [&] {
    return shared_.ready_clients.load(std::memory_order_relaxed) +
               shared_.failed_clients.load(std::memory_order_relaxed) >= connections;
  });
  if (shared_.ready_clients.load(std::memory_order_relaxed) < connections) {
    std::fprintf(stderr, "ringmq-bench: only %u of %u connections are ready\n",
                 shared_.ready_clients.load(std::memory_order_relaxed), connections);
    StopWorkers();
    return Finish(/*connect_failed=*/true, 0);
  }
  broker_connected_ = SampleBroker();
  const int64_t measure_start = MonotonicNowNs() + absl::ToInt64Nanoseconds(config_.warmup);
  const int64_t measure_end = measure_start + absl::ToInt64Nanoseconds(config_.duration);
  shared_.measure_start_ns.store(measure_start, std::memory_order_relaxed);
  shared_.measure_end_ns.store(measure_end, std::memory_order_relaxed);
  shared_.set_phase(Phase::kWarmup);
  WaitUntil(measure_start, nullptr);
  shared_.set_phase(Phase::kMeasure);
  broker_measure_start_ = SampleBroker();
  WaitUntil(measure_end, nullptr);
  shared_.set_phase(Phase::kDrain);
  broker_measure_end_ = SampleBroker();
  if (plan_.publisher_count > 0 && plan_.receivers_per_publisher > 0) {
    WaitUntil(MonotonicNowNs() + absl::ToInt64Nanoseconds(config_.drain), [&] { return AllDelivered(); });
  }
  StopWorkers();
  return Finish(/*connect_failed=*/false, absl::ToDoubleSeconds(config_.duration));
}

RunOutcome Run::Finish(bool connect_failed, double measured_seconds) {
  RunOutcome outcome;
  RunReport& report = outcome.report;
  report.scenario = ScenarioName(config_.scenario);
  report.transport = TransportName(config_.transport);
  report.clients = config_.clients;
  report.connections = static_cast<uint32_t>(plan_.clients.size());
  report.threads = config_.threads;
  report.subscriber_threads = config_.subscriber_threads;
  report.protocol = static_cast<int>(config_.protocol);
  report.qos = config_.qos;
  report.size = config_.size;
  report.measured_seconds = measured_seconds;
  for (auto& worker : workers_) report.totals.Merge(worker->Finish());
  if (broker_before_ && broker_connected_ && broker_measure_start_ && broker_measure_end_) {
    report.broker = BrokerFigures{
        .cpu_seconds = broker_measure_end_->cpu_seconds - broker_measure_start_->cpu_seconds,
        .connect_cpu_seconds = broker_connected_->cpu_seconds - broker_before_->cpu_seconds,
        .rss_before_kb = broker_before_->rss_kb,
        .rss_after_kb = broker_measure_end_->rss_kb};
  }
  if (connect_failed || report.totals.failed > 0) {
    outcome.exit_code = kExitConnectFailed;
  } else if (config_.expect_no_loss && config_.qos > 0 && report.totals.lost + report.totals.unfinished > 0) {
    outcome.exit_code = kExitLoss;
  } else if (report.totals.errors > 0) {
    outcome.exit_code = kExitDisconnected;
  }
  return outcome;
}

}  // namespace

absl::StatusOr<RunOutcome> ExecuteRun(const BenchConfig& config) {
  absl::StatusOr<BrokerAddress> broker = ResolveBroker(config);
  if (!broker.ok()) return broker.status();
  absl::StatusOr<RunPlan> plan = BuildRunPlan(config);
  if (!plan.ok()) return plan.status();
  RaiseFileLimit();
  Run run(config, *std::move(plan), *broker);
  return run.Execute();
}

}  // namespace ringmq::bench
