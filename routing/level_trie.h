// LevelTrie<Value>: a trie keyed by MQTT topic levels, one Value per stored key. The shared
// level-walking engine behind TopicTrie (keys are filters, queried with a topic) and RouteTable
// (same, with shard masks). It can also hold topic names queried with a filter
// (ForEachTopicMatching); RetainedStore no longer does, as its walks must be resumable in topic order.
//
// Thread ownership: not thread-safe; each instance belongs to one shard thread.
//
// Layout: a node's literal children live in a short vector while there are few of them (linear
// search beats hashing for a handful of short keys) and move to an absl::flat_hash_map once there
// are many; lookups take a string_view, so matching never builds a std::string. The `+` and `#`
// children have their own pointers so a topic lookup never hashes a wildcard. Nodes whose value is
// empty and that have no children are pruned by PruneEmpty().
//
// Matching recurses once per level present in both the key and the trie, so stack depth is bounded
// by the deepest stored key; the broker should cap the number of levels it accepts.
//
// Value requirements: default-constructible, `bool empty() const` (true = nothing stored here).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "routing/topic_levels.h"

namespace ringmq {

template <class Value>
class LevelTrie {
 public:
  LevelTrie() : root_(std::make_unique<Node>()) {}

  // The value stored under `key` (a filter or a topic name), creating the path if needed.
  Value& FindOrInsert(std::string_view key) {
    Node* node = root_.get();
    TopicLevels levels(key);
    while (!levels.done()) node = &ChildOrInsert(*node, levels.Next());
    return node->value;
  }

  // The value stored under `key`, or nullptr when the trie has no node for it.
  Value* Find(std::string_view key) { return const_cast<Value*>(std::as_const(*this).Find(key)); }
  const Value* Find(std::string_view key) const {
    const Node* node = root_.get();
    TopicLevels levels(key);
    while (node != nullptr && !levels.done()) node = Child(*node, levels.Next());
    return node == nullptr ? nullptr : &node->value;
  }

  // Removes the nodes on `key`'s path, deepest first, that hold an empty value and have no
  // children. Call after emptying the value found under `key`.
  void PruneEmpty(std::string_view key) {
    absl::InlinedVector<std::pair<Node*, std::string_view>, 16> path;  // (parent, level of child)
    Node* node = root_.get();
    TopicLevels levels(key);
    while (!levels.done()) {
      std::string_view level = levels.Next();
      Node* child = Child(*node, level);
      if (child == nullptr) return;
      path.emplace_back(node, level);
      node = child;
    }
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      Node* child = Child(*it->first, it->second);
      if (!child->Unused()) return;
      EraseChild(*it->first, it->second);
    }
  }

  // Calls f(const Value&) for every non-empty value whose key, read as a topic filter, matches
  // `topic` (a topic name). Does not allocate.
  template <class F>
  void ForEachFilterMatching(std::string_view topic, F&& f) const {
    MatchTopicFrom(*root_, TopicLevels(topic), !IsDollarTopic(topic), f);
  }

  // Calls f(const Value&) for every non-empty value whose key, read as a topic name, is matched by
  // `filter`. Keys must not contain wildcards. Does not allocate.
  template <class F>
  void ForEachTopicMatching(std::string_view filter, F&& f) const {
    MatchFilterFrom(*root_, TopicLevels(filter), /*at_root=*/true, f);
  }

  // Nodes below the root; for memory accounting and tests of pruning.
  size_t node_count() const { return node_count_; }

 private:
  struct Node;

  // The literal (non-wildcard) children of one node.
  class Children {
   public:
    const Node* Find(std::string_view key) const {
      if (many_) {
        auto it = many_->find(AbslView(key));
        return it == many_->end() ? nullptr : it->second.get();
      }
      for (const Entry& entry : few_) {
        if (entry.key == key) return entry.node.get();
      }
      return nullptr;
    }

    // Returns the child and whether it was created.
    std::pair<Node*, bool> FindOrInsert(std::string_view key) {
      if (Node* existing = const_cast<Node*>(Find(key))) return {existing, false};
      if (!many_ && few_.size() == kMaxLinear) MoveToMap();
      auto node = std::make_unique<Node>();
      Node* raw = node.get();
      if (many_) {
        many_->emplace(std::string(key), std::move(node));
      } else {
        few_.push_back(Entry{std::string(key), std::move(node)});
      }
      return {raw, true};
    }

    void Erase(std::string_view key) {
      if (many_) {
        if (auto it = many_->find(AbslView(key)); it != many_->end()) many_->erase(it);
        if (many_->empty()) many_.reset();
        return;
      }
      for (auto it = few_.begin(); it != few_.end(); ++it) {
        if (it->key == key) {
          *it = std::move(few_.back());
          few_.pop_back();
          return;
        }
      }
    }

    bool empty() const { return few_.empty() && !many_; }

    // Calls f(std::string_view key, const Node& child) for every child.
    template <class F>
    void ForEach(F&& f) const {
      if (many_) {
        for (const auto& [key, node] : *many_) f(std::string_view(key), *node);
        return;
      }
      for (const Entry& entry : few_) f(std::string_view(entry.key), *entry.node);
    }

   private:
    static constexpr size_t kMaxLinear = 8;
    // Debian's Abseil is built with its own absl::string_view, which the map's transparent
    // StringHash takes; converting is free and keeps lookups allocation-free.
    static absl::string_view AbslView(std::string_view key) { return {key.data(), key.size()}; }
    struct Entry {
      std::string key;
      std::unique_ptr<Node> node;
    };
    using Map = absl::flat_hash_map<std::string, std::unique_ptr<Node>>;

    void MoveToMap() {
      many_ = std::make_unique<Map>();
      many_->reserve(few_.size() * 2);
      for (Entry& entry : few_) many_->emplace(std::move(entry.key), std::move(entry.node));
      std::vector<Entry>().swap(few_);
    }

    std::vector<Entry> few_;
    std::unique_ptr<Map> many_;
  };

  struct Node {
    Children children;
    std::unique_ptr<Node> plus;   // the `+` child
    std::unique_ptr<Node> hash;   // the `#` child (always a leaf)
    Value value;

    bool Unused() const { return value.empty() && children.empty() && !plus && !hash; }
  };

  static const Node* Child(const Node& node, std::string_view level) {
    if (level == "+") return node.plus.get();
    if (level == "#") return node.hash.get();
    return node.children.Find(level);
  }
  static Node* Child(Node& node, std::string_view level) {
    return const_cast<Node*>(Child(std::as_const(node), level));
  }

  Node& ChildOrInsert(Node& node, std::string_view level) {
    if (level == "+" || level == "#") {
      std::unique_ptr<Node>& slot = level == "+" ? node.plus : node.hash;
      if (!slot) {
        slot = std::make_unique<Node>();
        ++node_count_;
      }
      return *slot;
    }
    auto [child, created] = node.children.FindOrInsert(level);
    if (created) ++node_count_;
    return *child;
  }

  void EraseChild(Node& node, std::string_view level) {
    if (level == "+") {
      node.plus.reset();
    } else if (level == "#") {
      node.hash.reset();
    } else {
      node.children.Erase(level);
    }
    --node_count_;
  }

  template <class F>
  static void Visit(const Value& value, F& f) {
    if (!value.empty()) f(value);
  }

  // `wildcards_allowed` is false only at the root for `$` topics (spec 4.7.2).
  template <class F>
  static void MatchTopicFrom(const Node& node, TopicLevels levels, bool wildcards_allowed, F& f) {
    if (levels.done()) {
      Visit(node.value, f);
      if (node.hash) Visit(node.hash->value, f);  // `a/#` matches `a`
      return;
    }
    if (wildcards_allowed && node.hash) Visit(node.hash->value, f);
    std::string_view level = levels.Next();
    if (wildcards_allowed && node.plus) MatchTopicFrom(*node.plus, levels, true, f);
    if (const Node* child = node.children.Find(level)) MatchTopicFrom(*child, levels, true, f);
  }

  template <class F>
  static void MatchFilterFrom(const Node& node, TopicLevels levels, bool at_root, F& f) {
    if (levels.done()) {
      Visit(node.value, f);
      return;
    }
    std::string_view level = levels.Next();
    if (level == "#") {
      VisitSubtree(node, /*skip_dollar_children=*/at_root, f);
    } else if (level == "+") {
      node.children.ForEach([&](std::string_view key, const Node& child) {
        if (!(at_root && IsDollarTopic(key))) MatchFilterFrom(child, levels, false, f);
      });
    } else if (const Node* child = node.children.Find(level)) {
      MatchFilterFrom(*child, levels, false, f);
    }
  }

  template <class F>
  static void VisitSubtree(const Node& node, bool skip_dollar_children, F& f) {
    Visit(node.value, f);
    node.children.ForEach([&](std::string_view key, const Node& child) {
      if (!(skip_dollar_children && IsDollarTopic(key))) VisitSubtree(child, false, f);
    });
  }

  std::unique_ptr<Node> root_;
  size_t node_count_ = 0;
};

}  // namespace ringmq
