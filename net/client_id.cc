#include "net/client_id.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/home_shard.h"

namespace ringmq {

std::string FormatAssignedClientId(const std::array<uint8_t, kAssignedIdRandomBytes>& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "ringmq-";
  for (uint8_t byte : random) {
    id += kHex[byte >> 4];
    id += kHex[byte & 0xf];
  }
  return id;
}

absl::StatusOr<std::string> RandomClientIdForShard(int shard, int shard_count) {
  // The chance of still missing the shard after 100 * shard_count draws is below e^-100.
  const int max_draws = 100 * shard_count;
  std::array<uint8_t, kAssignedIdRandomBytes> random;
  for (int draw = 0; draw < max_draws; ++draw) {
    // Up to 256 bytes, getrandom(2) from an initialised pool returns them all at once.
    const ssize_t n = getrandom(random.data(), random.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(random.size())) {
      return absl::UnavailableError(absl::StrCat("getrandom: ", n < 0 ? std::strerror(errno) : "short read"));
    }
    std::string id = FormatAssignedClientId(random);
    if (HomeShard(id, shard_count) == shard) return id;
  }
  return absl::UnavailableError("no random client id hashed to this shard");
}

}  // namespace ringmq
