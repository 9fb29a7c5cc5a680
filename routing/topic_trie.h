// TopicTrie: one shard's subscription table, mapping topic filters (plain or in a shared
// subscription group) to the sessions of this shard subscribed with them.
//
// Thread ownership: owned by one shard thread; no locking. Other shards learn which filters this
// shard has through RouteDeltas (routing/route_table.h), emitted when Add/Remove report that a
// (filter, share group) appeared in or disappeared from this trie.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/packet.h"
#include "routing/level_trie.h"
#include "routing/named_entries.h"

namespace ringmq {

using SubscriberId = uint64_t;  // a session on this shard

struct Subscription {
  SubscriberId subscriber = 0;
  SubscriptionOptions options;
  uint32_t subscription_id = 0;  // MQTT 5 subscription identifier; 0 = none
};

class TopicTrie {
 public:
  struct AddResult {
    bool filter_added_to_trie = false;  // no subscriber had this exact filter (and share group) before
    bool replaced_existing = false;     // the subscriber already had it; options/id were replaced
  };
  struct RemoveResult {
    bool removed = false;                   // the subscriber had this filter (and share group)
    bool filter_removed_from_trie = false;  // it was the last subscriber of that filter (and group)
  };

  // `filter` is the bare topic filter (for `$share/g/a/b`: filter "a/b", share_group "g"), already
  // validated; an empty `share_group` means a plain subscription.
  AddResult Add(std::string_view filter, std::string_view share_group, const Subscription& sub);
  RemoveResult Remove(std::string_view filter, std::string_view share_group, SubscriberId subscriber);

  // Calls visit(const Subscription&, std::string_view share_group) for every subscription whose
  // filter matches `topic` (share_group empty for plain ones). A subscriber with several matching
  // filters is visited once per filter; the caller merges (max QoS, all subscription ids) and picks
  // one member per share group. Does not allocate.
  template <class Visitor>
  void Match(std::string_view topic, Visitor&& visit) const {
    trie_.ForEachFilterMatching(topic, [&](const FilterSubscriptions& subs) {
      for (const Subscription& sub : subs.plain) visit(sub, std::string_view());
      for (const SharedGroup& group : subs.groups) {
        for (const Subscription& sub : group.members) visit(sub, std::string_view(group.name));
      }
    });
  }

  // Calls visit(const Subscription&) for every plain (unshared) subscription whose filter matches
  // `topic`, skipping share groups without looking at them. Does not allocate.
  template <class Visitor>
  void MatchPlain(std::string_view topic, Visitor&& visit) const {
    trie_.ForEachFilterMatching(topic, [&](const FilterSubscriptions& subs) {
      for (const Subscription& sub : subs.plain) visit(sub);
    });
  }

  // The members of share group `share_group` on exactly `filter` (not matching: the key), or an
  // empty span. O(levels of the filter), plus one hash of the group name when the filter has many
  // groups. Valid until the next Add or Remove.
  std::span<const Subscription> GroupMembers(std::string_view filter, std::string_view share_group) const;

  // Distinct (filter, share group) pairs with at least one subscriber.
  size_t filter_count() const { return filter_count_; }
  size_t subscription_count() const { return subscription_count_; }

  // Bumped by every Add and every Remove that removed something, so caches of Match results
  // (routing/match_cache.h) can tell that they are stale.
  uint64_t generation() const { return generation_; }

 private:
  // Unsubscribe scans linearly: fine for the usual handful of subscribers per filter.
  using SubscriberList = absl::InlinedVector<Subscription, 1>;
  struct SharedGroup {
    std::string name;
    SubscriberList members;
  };
  struct FilterSubscriptions {
    SubscriberList plain;
    // Shared subscriptions are rare: the empty case stays small; many groups get a hash index.
    NamedEntries<SharedGroup, &SharedGroup::name> groups;
    bool empty() const { return plain.empty() && groups.empty(); }
  };

  // Returns whether the list already had this subscriber (then its entry is overwritten).
  static bool Upsert(SubscriberList& list, const Subscription& sub);
  static bool Erase(SubscriberList& list, SubscriberId subscriber);

  LevelTrie<FilterSubscriptions> trie_;
  size_t filter_count_ = 0;
  size_t subscription_count_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace ringmq
