#include "net/bridge/bridge_set.h"

#include <algorithm>

#include "net/home_shard.h"

namespace ringmq {

BridgeSet::BridgeSet(int shard_index, int shard_count, const BridgeRegistry& registry, BridgeHost host)
    : shard_index_(shard_index), shard_count_(shard_count), registry_(registry), host_(std::move(host)) {}

bool BridgeSet::IsMine(const BridgeConfig& bridge) const {
  return HomeShard(bridge.local_client_id, shard_count_) == shard_index_;
}

void BridgeSet::OnTick(int64_t now_ms) {
  if (registry_.generation() != applied_generation_) {
    const std::shared_ptr<const BridgeSnapshot> snapshot = registry_.Current();
    Apply(*snapshot);
    applied_generation_ = snapshot->generation;
  }
  for (auto& runner : runners_) runner->OnTick(now_ms);
  for (auto& runner : stopping_) runner->OnTick(now_ms);
  std::erase_if(stopping_, [](const std::unique_ptr<BridgeRunner>& runner) { return runner->stopped(); });
}

void BridgeSet::Apply(const BridgeSnapshot& snapshot) {
  std::vector<std::unique_ptr<BridgeRunner>> kept;
  for (std::unique_ptr<BridgeRunner>& runner : runners_) {
    const auto same = std::find_if(snapshot.bridges.begin(), snapshot.bridges.end(), [&](const BridgeEntry& entry) {
      return entry.config == runner->config() && IsMine(entry.config);
    });
    if (same != snapshot.bridges.end()) {
      kept.push_back(std::move(runner));
      continue;
    }
    runner->Stop();
    stopping_.push_back(std::move(runner));
  }
  for (const BridgeEntry& entry : snapshot.bridges) {
    if (!IsMine(entry.config)) continue;
    const bool running = std::any_of(kept.begin(), kept.end(), [&](const std::unique_ptr<BridgeRunner>& runner) {
      return runner->config() == entry.config;
    });
    if (!running) kept.push_back(std::make_unique<BridgeRunner>(entry.config, entry.tls, *entry.stats, host_, entry.previous_topics));
  }
  runners_ = std::move(kept);
}

absl::Status PrepareBridges(const std::vector<BridgeConfig>& bridges, BrokerShared& shared) {
  return shared.bridges.Publish(bridges, /*log_changes=*/false);
}

}  // namespace ringmq
