#include "routing/route_table.h"

#include <cassert>

namespace ringmq {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

struct SplitFilter {
  std::string_view group;  // empty for a plain filter
  std::string_view filter;
};

// "$share/g/a/b" -> {"g", "a/b"}; anything else is a plain filter (including a malformed share,
// which validation upstream has already rejected).
SplitFilter Split(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return {{}, filter};
  std::string_view rest = filter.substr(kSharePrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return {{}, filter};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace

RouteDelta MakeRouteDelta(std::string_view filter, std::string_view share_group, uint16_t shard, bool add) {
  RouteDelta delta;
  delta.shard = shard;
  delta.add = add;
  delta.filter = share_group.empty() ? std::string(filter) : SharedFilterKey(share_group, filter);
  return delta;
}

std::string SharedFilterKey(std::string_view share_group, std::string_view filter) {
  std::string key;
  key.reserve(kSharePrefix.size() + share_group.size() + 1 + filter.size());
  key.append(kSharePrefix).append(share_group).append(1, '/').append(filter);
  return key;
}

int NthShard(ShardMask shards, uint32_t n) {
  n %= static_cast<uint32_t>(__builtin_popcountll(shards));
  for (; n > 0; --n) shards &= shards - 1;
  return __builtin_ctzll(shards);
}

void RouteTable::Apply(const RouteDelta& delta) {
  assert(delta.shard < kMaxShards && "RouteTable supports at most 64 shards");
  if (delta.shard >= kMaxShards) return;
  ++generation_;
  SplitFilter split = Split(delta.filter);
  // A split filter was written as SharedFilterKey(group, filter), so the delta's text is its key.
  const std::string_view key = split.group.empty() ? std::string_view() : std::string_view(delta.filter);
  ShardMask bit = ShardMask{1} << delta.shard;
  if (delta.add) {
    Set(split.filter, key, bit);
  } else {
    Clear(split.filter, key, bit);
  }
}

RouteMatch RouteTable::Route(std::string_view topic) {
  RouteMatch match;
  trie_.ForEachFilterMatching(topic, [&match](const FilterRoutes& routes) {
    for (const GroupRoute& route : routes.groups) {
      if (route.shared_filter.empty()) {
        match.plain_shards |= route.shards;
      } else {
        match.groups.push_back(
            SharedRouteMatch{route.shared_filter, route.shards, NthShard(route.shards, route.cursor++)});
      }
    }
  });
  return match;
}

const RouteTable::GroupRoute* RouteTable::FindGroup(std::string_view shared_filter) const {
  SplitFilter split = Split(shared_filter);
  if (split.group.empty()) return nullptr;
  const FilterRoutes* routes = trie_.Find(split.filter);
  if (routes == nullptr) return nullptr;
  return routes->groups.Find(shared_filter);
}

ShardMask RouteTable::GroupShards(std::string_view shared_filter) const {
  const GroupRoute* route = FindGroup(shared_filter);
  return route == nullptr ? 0 : route->shards;
}

int RouteTable::PickGroupShard(std::string_view shared_filter, ShardMask exclude) {
  const GroupRoute* route = FindGroup(shared_filter);
  if (route == nullptr) return -1;
  const ShardMask candidates = route->shards & ~exclude;
  if (candidates == 0) return -1;
  return NthShard(candidates, route->cursor++);
}

void RouteTable::Set(std::string_view filter, std::string_view shared_filter, ShardMask bit) {
  FilterRoutes& routes = trie_.FindOrInsert(filter);
  if (GroupRoute* route = routes.groups.Find(shared_filter)) {
    route->shards |= bit;
    return;
  }
  routes.groups.Insert(GroupRoute{std::string(shared_filter), bit, 0});
  ++filter_count_;
}

void RouteTable::Clear(std::string_view filter, std::string_view shared_filter, ShardMask bit) {
  FilterRoutes* routes = trie_.Find(filter);
  if (routes == nullptr) return;
  if (GroupRoute* route = routes->groups.Find(shared_filter)) {
    route->shards &= ~bit;
    if (route->shards == 0) {
      routes->groups.Erase(route);
      --filter_count_;
    }
  }
  if (routes->empty()) trie_.PruneEmpty(filter);
}

}  // namespace ringmq
