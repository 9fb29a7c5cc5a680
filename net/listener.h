// Listening sockets: parsing --listen addresses and opening one SO_REUSEPORT socket per shard on the
// same address, so the kernel spreads new connections over the shards without a shared accept lock.
// Thread ownership: used by the main thread before the shards start.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "net/broker_config.h"

namespace ringmq {

// "host:port", "[v6]:port" or ":port" (all IPv4 interfaces).
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

// Opens `count` sockets bound to `address` with SO_REUSEPORT. Port 0 picks an ephemeral port for the
// first socket and binds the others to the same one; `address.port` is updated to the real port.
// A connection is accepted once its first bytes arrive, or after `defer_accept_s` seconds of silence.
absl::StatusOr<std::vector<int>> OpenListeners(ListenAddress& address, int count, uint32_t defer_accept_s);

}  // namespace ringmq
