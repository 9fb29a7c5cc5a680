// RouteTable: the replicated cross-shard route table - which shards have at least one subscriber
// whose filter matches a topic, so a publish is forwarded only to the shards that need it.
//
// Thread ownership: every shard holds its own full replica, owned and read by that shard's thread
// only. Replicas converge because every shard broadcasts its RouteDeltas to all shards (itself
// included) and each replica applies them in per-source order (one SPSC queue per shard pair).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "routing/level_trie.h"

namespace ringmq {

// Bit i set = shard i. Shard indices must be below kMaxShards.
using ShardMask = uint64_t;
inline constexpr uint16_t kMaxShards = 64;

// Emitted by a shard when a (filter, share group) first appears in / finally leaves its TopicTrie
// (TopicTrie::AddResult::filter_added_to_trie / RemoveResult::filter_removed_from_trie).
struct RouteDelta {
  std::string filter;  // the bare filter, or the full "$share/{group}/{filter}" for shared ones
  uint16_t shard = 0;
  bool add = false;
};

// Builds the delta for `filter` subscribed in `share_group` (empty = plain) on `shard`.
RouteDelta MakeRouteDelta(std::string_view filter, std::string_view share_group, uint16_t shard, bool add);

class RouteTable {
 public:
  // Deltas are exact first-add / last-remove events per (filter, group, shard), so the table keeps
  // one bit per shard rather than counts: applying an add sets the bit, a remove clears it, and a
  // repeated add or remove is harmless. A delta for shard >= kMaxShards is ignored (asserted).
  void Apply(const RouteDelta& delta);

  // The shards having a plain or shared subscription matching `topic`. Does not allocate.
  ShardMask Match(std::string_view topic) const {
    ShardMask shards = 0;
    trie_.ForEachFilterMatching(topic, [&shards](const FilterRoutes& routes) {
      for (const GroupRoute& route : routes.groups) shards |= route.shards;
    });
    return shards;
  }

  // Distinct (filter, share group) entries present on at least one shard.
  size_t filter_count() const { return filter_count_; }

 private:
  // One entry per share group under a filter; the empty group is the plain subscription. Kept
  // apart so that removing a group on a shard leaves a plain subscription of the same filter there.
  struct GroupRoute {
    std::string group;
    ShardMask shards = 0;
  };
  struct FilterRoutes {
    absl::InlinedVector<GroupRoute, 1> groups;
    bool empty() const { return groups.empty(); }
  };

  void Set(std::string_view filter, std::string_view group, ShardMask bit);
  void Clear(std::string_view filter, std::string_view group, ShardMask bit);

  LevelTrie<FilterRoutes> trie_;
  size_t filter_count_ = 0;
};

}  // namespace ringmq
