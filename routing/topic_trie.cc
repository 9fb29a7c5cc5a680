#include "routing/topic_trie.h"

namespace ringmq {

TopicTrie::AddResult TopicTrie::Add(std::string_view filter, std::string_view share_group, const Subscription& sub) {
  ++generation_;  // a new subscription or new options for one
  FilterSubscriptions& subs = trie_.FindOrInsert(filter);
  SubscriberList* list = &subs.plain;
  if (!share_group.empty()) {
    SharedGroup* group = subs.groups.Find(share_group);
    if (group == nullptr) group = &subs.groups.Insert(SharedGroup{std::string(share_group), {}});
    list = &group->members;
  }
  AddResult result;
  result.filter_added_to_trie = list->empty();
  result.replaced_existing = Upsert(*list, sub);
  if (result.filter_added_to_trie) ++filter_count_;
  if (!result.replaced_existing) ++subscription_count_;
  return result;
}

TopicTrie::RemoveResult TopicTrie::Remove(std::string_view filter, std::string_view share_group,
                                          SubscriberId subscriber) {
  RemoveResult result;
  FilterSubscriptions* subs = trie_.Find(filter);
  if (subs == nullptr) return result;
  if (share_group.empty()) {
    result.removed = Erase(subs->plain, subscriber);
    result.filter_removed_from_trie = result.removed && subs->plain.empty();
  } else if (SharedGroup* group = subs->groups.Find(share_group)) {
    result.removed = Erase(group->members, subscriber);
    result.filter_removed_from_trie = result.removed && group->members.empty();
    if (result.filter_removed_from_trie) subs->groups.Erase(group);
  }
  if (result.removed) {
    --subscription_count_;
    ++generation_;
  }
  if (result.filter_removed_from_trie) --filter_count_;
  if (subs->empty()) trie_.PruneEmpty(filter);
  return result;
}

std::span<const Subscription> TopicTrie::GroupMembers(std::string_view filter, std::string_view share_group) const {
  const FilterSubscriptions* subs = trie_.Find(filter);
  if (subs == nullptr) return {};
  const SharedGroup* group = subs->groups.Find(share_group);
  if (group == nullptr) return {};
  return {group->members.data(), group->members.size()};
}

bool TopicTrie::Upsert(SubscriberList& list, const Subscription& sub) {
  for (Subscription& existing : list) {
    if (existing.subscriber == sub.subscriber) {
      existing = sub;
      return true;
    }
  }
  list.push_back(sub);
  return false;
}

bool TopicTrie::Erase(SubscriberList& list, SubscriberId subscriber) {
  for (Subscription& existing : list) {
    if (existing.subscriber == subscriber) {
      existing = list.back();
      list.pop_back();
      return true;
    }
  }
  return false;
}

}  // namespace ringmq
