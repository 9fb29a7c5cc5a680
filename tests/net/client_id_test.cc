#include "net/client_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "net/home_shard.h"

namespace ringmq {
namespace {

TEST(AssignedClientId, FormatsAllBytesAsHex) {
  std::array<uint8_t, kAssignedIdRandomBytes> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 17);
  EXPECT_EQ(FormatAssignedClientId(bytes), "ringmq-00112233445566778899aabbccddeeff");
}

TEST(AssignedClientId, HashesToTheShardThatAssignsIt) {
  for (int shards : {1, 2, 3, 7, 64}) {
    for (int shard = 0; shard < shards; ++shard) {
      absl::StatusOr<std::string> id = RandomClientIdForShard(shard, shards);
      ASSERT_TRUE(id.ok()) << id.status();
      EXPECT_EQ(HomeShard(*id, shards), shard) << *id;
      EXPECT_EQ(id->size(), 7 + 2 * kAssignedIdRandomBytes);
    }
  }
}

TEST(AssignedClientId, IdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> id = RandomClientIdForShard(1, 4);
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(seen.insert(*id).second) << "repeated " << *id;
  }
}

TEST(AssignedClientId, ConsecutiveIdsShareNoLongPrefix) {
  // A counter or clock would keep most of the id from one assignment to the next.
  absl::StatusOr<std::string> a = RandomClientIdForShard(0, 1);
  absl::StatusOr<std::string> b = RandomClientIdForShard(0, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  size_t common = 0;
  while (common < a->size() && (*a)[common] == (*b)[common]) ++common;
  EXPECT_LT(common, 7u + 8u) << *a << " " << *b;  // 8 equal hex digits: chance 2^-32
}

}  // namespace
}  // namespace ringmq
