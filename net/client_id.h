// Client ids the broker assigns (MQTT 5 CONNECT with an empty client id).
// An assigned id is the key to its session: a client that learns another's id can take that session
// over, so ids are 128 random bits from the kernel (getrandom(2)), never a counter or a clock.
// Thread ownership: pure functions apart from the random source; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ringmq {

inline constexpr size_t kAssignedIdRandomBytes = 16;

// "ringmq-" followed by the bytes in lower-case hex.
std::string FormatAssignedClientId(const std::array<uint8_t, kAssignedIdRandomBytes>& random);

// A fresh random id whose home shard (net/home_shard.h) is `shard`, so the session is created where
// every later CONNECT with that id will be routed. Draws new random bytes until the hash lands there
// (shard_count tries on average; selecting by hash reveals only log2(shard_count) bits of the id).
absl::StatusOr<std::string> RandomClientIdForShard(int shard, int shard_count);

}  // namespace ringmq
