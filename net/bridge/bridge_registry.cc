#include "net/bridge/bridge_registry.h"

#include "absl/strings/str_cat.h"
#include "net/log.h"
#include "net/transport/tls_client_context.h"

namespace ringmq {
namespace {

const BridgeEntry* FindByName(const BridgeSnapshot& snapshot, const std::string& name) {
  for (const BridgeEntry& entry : snapshot.bridges) {
    if (entry.config.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace

BridgeRegistry::BridgeRegistry() : current_(std::make_shared<const BridgeSnapshot>()) {}

std::shared_ptr<const BridgeSnapshot> BridgeRegistry::Current() const {
  absl::MutexLock lock(&mutex_);
  return current_;
}

std::vector<const BridgeStats*> BridgeRegistry::Stats() const {
  absl::MutexLock lock(&mutex_);
  std::vector<const BridgeStats*> all;
  for (const std::unique_ptr<BridgeStats>& stats : stats_) all.push_back(stats.get());
  return all;
}

BridgeStats* BridgeRegistry::StatsFor(const std::string& name) {
  auto [it, added] = stats_by_name_.try_emplace(name, nullptr);
  if (added) {
    stats_.push_back(std::make_unique<BridgeStats>(name));
    it->second = stats_.back().get();
  }
  return it->second;
}

absl::Status BridgeRegistry::Publish(const std::vector<BridgeConfig>& bridges, bool log_changes) {
  const std::shared_ptr<const BridgeSnapshot> old = Current();  // only this thread replaces it
  auto next = std::make_shared<BridgeSnapshot>();
  std::vector<std::string> changes;
  for (const BridgeConfig& bridge : bridges) {
    const BridgeEntry* running = FindByName(*old, bridge.name);
    if (running != nullptr && running->config == bridge) {
      next->bridges.push_back(*running);
      continue;
    }
    std::shared_ptr<const TlsContext> tls;
    if (bridge.tls()) {
      absl::StatusOr<std::shared_ptr<const TlsContext>> loaded =
          LoadTlsClientContext(bridge.ca_file, bridge.cert_file, bridge.key_file);
      if (!loaded.ok()) return absl::InvalidArgumentError(absl::StrCat("bridge ", bridge.name, ": ", loaded.status().message()));
      tls = *std::move(loaded);
    }
    std::vector<BridgeTopic> previous;
    if (running != nullptr) {
      // With what it replaced before: a shard that skipped a generation (two SIGHUPs within a tick)
      // still holds those subscriptions.
      previous = running->config.topics;
      previous.insert(previous.end(), running->previous_topics.begin(), running->previous_topics.end());
    }
    next->bridges.push_back(BridgeEntry{.config = bridge, .tls = std::move(tls), .stats = nullptr,
                                        .previous_topics = std::move(previous)});
    changes.push_back(absl::StrCat("bridge ", bridge.name, running == nullptr ? " added (" : " changed (", bridge.host,
                                   ":", bridge.port, "): ", running == nullptr ? "starting" : "restarting with its new configuration"));
  }
  for (const BridgeEntry& entry : old->bridges) {
    if (FindByName(*next, entry.config.name) == nullptr) {
      changes.push_back(absl::StrCat("bridge ", entry.config.name, " removed: its link is closed"));
    }
  }
  if (changes.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mutex_);
  for (BridgeEntry& entry : next->bridges) {
    if (entry.stats == nullptr) entry.stats = StatsFor(entry.config.name);
  }
  next->generation = old->generation + 1;
  current_ = std::move(next);
  generation_.store(current_->generation, std::memory_order_release);
  if (log_changes) {
    for (const std::string& change : changes) Log(LogLevel::kInfo, "SIGHUP: %s", change);
  }
  return absl::OkStatus();
}

}  // namespace ringmq
