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
  if (share_group.empty()) {
    delta.filter = filter;
  } else {
    delta.filter.reserve(kSharePrefix.size() + share_group.size() + 1 + filter.size());
    delta.filter.append(kSharePrefix).append(share_group).append(1, '/').append(filter);
  }
  return delta;
}

void RouteTable::Apply(const RouteDelta& delta) {
  assert(delta.shard < kMaxShards && "RouteTable supports at most 64 shards");
  if (delta.shard >= kMaxShards) return;
  SplitFilter split = Split(delta.filter);
  ShardMask bit = ShardMask{1} << delta.shard;
  if (delta.add) {
    Set(split.filter, split.group, bit);
  } else {
    Clear(split.filter, split.group, bit);
  }
}

void RouteTable::Set(std::string_view filter, std::string_view group, ShardMask bit) {
  FilterRoutes& routes = trie_.FindOrInsert(filter);
  for (GroupRoute& route : routes.groups) {
    if (route.group == group) {
      route.shards |= bit;
      return;
    }
  }
  routes.groups.push_back(GroupRoute{std::string(group), bit});
  ++filter_count_;
}

void RouteTable::Clear(std::string_view filter, std::string_view group, ShardMask bit) {
  FilterRoutes* routes = trie_.Find(filter);
  if (routes == nullptr) return;
  for (auto it = routes->groups.begin(); it != routes->groups.end(); ++it) {
    if (it->group != group) continue;
    it->shards &= ~bit;
    if (it->shards == 0) {
      routes->groups.erase(it);
      --filter_count_;
    }
    break;
  }
  if (routes->empty()) trie_.PruneEmpty(filter);
}

}  // namespace ringmq
