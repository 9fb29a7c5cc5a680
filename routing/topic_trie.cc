#include "routing/topic_trie.h"

namespace ringmq {

TopicTrie::AddResult TopicTrie::Add(std::string_view filter, std::string_view share_group, const Subscription& sub) {
  ++generation_;  // a new subscription or new options for one
  FilterSubscriptions& subs = trie_.FindOrInsert(filter);
  SubscriberList* list = &subs.plain;
  if (!share_group.empty()) {
    SharedGroup* group = FindGroup(subs, share_group);
    if (group == nullptr) group = &subs.groups.emplace_back(SharedGroup{std::string(share_group), {}});
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
  } else if (SharedGroup* group = FindGroup(*subs, share_group)) {
    result.removed = Erase(group->members, subscriber);
    result.filter_removed_from_trie = result.removed && group->members.empty();
    if (result.filter_removed_from_trie) {
      subs->groups.erase(subs->groups.begin() + (group - subs->groups.data()));
    }
  }
  if (result.removed) {
    --subscription_count_;
    ++generation_;
  }
  if (result.filter_removed_from_trie) --filter_count_;
  if (subs->empty()) trie_.PruneEmpty(filter);
  return result;
}

TopicTrie::SharedGroup* TopicTrie::FindGroup(FilterSubscriptions& subs, std::string_view name) {
  for (SharedGroup& group : subs.groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
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
