// NamedEntries<Entry, &Entry::name>: a small vector of entries told apart by a string name, with a
// hash index built once it holds many. The share groups under one filter live in one: a handful in
// the common case (a linear look is fastest), thousands when a client subscribes to many groups on
// one filter, where a linear look per group made every publish quadratic in groups.
//
// Thread ownership: not thread-safe; each instance belongs to its table's shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ringmq {

template <class Entry, std::string Entry::*kName, class Vector = std::vector<Entry>>
class NamedEntries {
 public:
  Entry* Find(std::string_view name) {
    return const_cast<Entry*>(static_cast<const NamedEntries&>(*this).Find(name));
  }
  const Entry* Find(std::string_view name) const {
    if (index_) {
      auto it = index_->find(absl::string_view(name.data(), name.size()));
      return it == index_->end() ? nullptr : &items_[it->second];
    }
    for (const Entry& entry : items_) {
      if (entry.*kName == name) return &entry;
    }
    return nullptr;
  }

  // The name must not be present yet. References to entries stay valid until the next Insert/Erase.
  Entry& Insert(Entry entry) {
    items_.push_back(std::move(entry));
    const uint32_t position = static_cast<uint32_t>(items_.size() - 1);
    if (index_) {
      index_->emplace(items_.back().*kName, position);
    } else if (items_.size() > kMaxLinear) {
      index_ = std::make_unique<Index>();
      index_->reserve(items_.size() * 2);
      for (uint32_t i = 0; i < items_.size(); ++i) index_->emplace(items_[i].*kName, i);
    }
    return items_.back();
  }

  // `entry` must point into this container. The last entry takes its place (order is not kept).
  void Erase(Entry* entry) {
    const size_t position = static_cast<size_t>(entry - items_.data());
    const size_t last = items_.size() - 1;
    if (index_) index_->erase(entry->*kName);
    if (position != last) {
      items_[position] = std::move(items_[last]);
      if (index_) (*index_)[items_[position].*kName] = static_cast<uint32_t>(position);
    }
    items_.pop_back();
    if (index_ && items_.size() <= kMaxLinear / 2) index_.reset();
  }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }

 private:
  static constexpr size_t kMaxLinear = 8;
  using Index = absl::flat_hash_map<std::string, uint32_t>;
  Vector items_;
  std::unique_ptr<Index> index_;  // name -> position in items_, once there are many
};

}  // namespace ringmq
