// RouteTable: the replicated cross-shard route table - which shards have at least one subscriber
// whose filter matches a topic, so a publish is forwarded only to the shards that need it, and for
// shared subscriptions ($share/{group}/{filter}) which shards hold members of each group, so the
// publisher's shard can send each group's single copy to one of them.
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
#include "routing/named_entries.h"

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

// "$share/{group}/{filter}": the broker-wide name of one shared subscription (a group is scoped to
// its filter, so "$share/g/a/+" and "$share/g/a/#" are two groups). Envelopes carry it by value.
std::string SharedFilterKey(std::string_view share_group, std::string_view filter);

// One shared subscription matching a topic, as seen by one replica.
struct SharedRouteMatch {
  std::string_view shared_filter;  // SharedFilterKey form; points into the table until the next Apply
  ShardMask shards = 0;            // shards with at least one member
  int chosen_shard = -1;           // this replica's round-robin pick among `shards`: it gets the copy
};

// Where one publish must go: every shard with a plain subscriber, plus one shard per share group.
struct RouteMatch {
  ShardMask plain_shards = 0;
  absl::InlinedVector<SharedRouteMatch, 2> groups;  // empty in the common case: no allocation
};

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

  // Routes one publish: the plain shards, and for each matching share group the one shard that
  // gets its copy. Advances each matched group's round-robin cursor (state private to this replica,
  // so the publisher's shard alone decides, without coordination). Allocates only past two groups.
  RouteMatch Route(std::string_view topic);

  // The shards having members of the shared subscription `shared_filter` (SharedFilterKey form).
  ShardMask GroupShards(std::string_view shared_filter) const;

  // A round-robin pick among the group's shards that are not in `exclude`; -1 when there is none.
  // For re-routing a group's message that its first shard could not deliver.
  int PickGroupShard(std::string_view shared_filter, ShardMask exclude);

  // Distinct (filter, share group) entries present on at least one shard.
  size_t filter_count() const { return filter_count_; }

  // Bumped by every Apply, so caches of Route/Match results (routing/match_cache.h) can tell that
  // they are stale. Round-robin picks do not change it: they are not table content.
  uint64_t generation() const { return generation_; }

 private:
  // One entry per share group under a filter; the plain subscription has an empty key. Kept apart
  // so that removing a group on a shard leaves a plain subscription of the same filter there.
  struct GroupRoute {
    std::string shared_filter;  // SharedFilterKey(group, filter); empty for the plain entry
    ShardMask shards = 0;
    // Round robin over `shards` for this replica's picks. Mutable: the trie's matching hands out
    // const values, and the cursor is routing state private to this replica, not table content.
    mutable uint32_t cursor = 0;
  };
  struct FilterRoutes {
    // The plain entry and one per group; many groups on one filter get a hash index.
    NamedEntries<GroupRoute, &GroupRoute::shared_filter, absl::InlinedVector<GroupRoute, 1>> groups;
    bool empty() const { return groups.empty(); }
  };

  const GroupRoute* FindGroup(std::string_view shared_filter) const;
  void Set(std::string_view filter, std::string_view shared_filter, ShardMask bit);
  void Clear(std::string_view filter, std::string_view shared_filter, ShardMask bit);

  LevelTrie<FilterRoutes> trie_;
  size_t filter_count_ = 0;
  uint64_t generation_ = 0;
};

// The `n`-th set bit of a non-empty mask, with n taken modulo the number of set bits.
int NthShard(ShardMask shards, uint32_t n);

}  // namespace ringmq
