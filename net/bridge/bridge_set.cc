#include "net/bridge/bridge_set.h"

#include "absl/strings/str_cat.h"
#include "net/home_shard.h"
#include "net/transport/tls_client_context.h"

namespace ringmq {

BridgeSet::BridgeSet(int shard_index, int shard_count, const std::vector<BridgeConfig>& bridges,
                     BrokerShared& shared, BridgeHost host)
    : host_(std::move(host)) {
  for (size_t i = 0; i < bridges.size(); ++i) {
    if (HomeShard(bridges[i].local_client_id, shard_count) != shard_index) continue;
    runners_.push_back(std::make_unique<BridgeRunner>(bridges[i], shared.bridge_tls[i], *shared.bridge_stats[i], host_));
  }
}

absl::Status PrepareBridges(const std::vector<BridgeConfig>& bridges, BrokerShared& shared) {
  for (const BridgeConfig& bridge : bridges) {
    std::shared_ptr<const TlsContext> tls;
    if (bridge.tls()) {
      absl::StatusOr<std::shared_ptr<const TlsContext>> loaded =
          LoadTlsClientContext(bridge.ca_file, bridge.cert_file, bridge.key_file);
      if (!loaded.ok()) return absl::InvalidArgumentError(absl::StrCat("bridge ", bridge.name, ": ", loaded.status().message()));
      tls = *std::move(loaded);
    }
    shared.bridge_tls.push_back(std::move(tls));
    shared.bridge_stats.push_back(std::make_unique<BridgeStats>(bridge.name));
  }
  return absl::OkStatus();
}

}  // namespace ringmq
