// RetainedStore: the retained message of every topic that has one, looked up by topic filter when
// a client subscribes, with the limits an operator sets on it and the purge of expired messages.
//
// Thread ownership: each shard holds one replica, owned by that shard's thread. The messages are
// shared (MessageRef), so replicas cost one entry per topic per shard, not a payload copy.
//
// Layout: a hash set of topic slots (set, replace, clear and exact lookups are one hash probe) and a
// B-tree of the same slots ordered by topic. Ordered keys make a filter's matches resumable: a walk
// is a cursor (the last topic visited), so a subscriber to `#` over a million retained messages is served in bounded
// batches across loop turns, and messages set or cleared between batches need no iterator fix-up.
// Wildcard levels are walked by seeking (see NextStep in the .cc): `fleet/+/v7/state` visits about
// one topic per region, not every vehicle. Messages with an MQTT 5 expiry are also indexed by
// deadline, so the purge of expired ones visits only those.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "core/message.h"

namespace ringmq {

class RetainedStore {
 public:
  // 0 = no limit.
  struct Limits {
    size_t max_messages = 0;
    size_t max_bytes = 0;  // topic + properties + payload of the stored messages
  };

  // Where a resumable match stands: the last topic visited. Start with a default-constructed one.
  struct MatchCursor {
    std::string after;     // valid once started
    bool started = false;
    bool done = false;
  };

  // Whether Set(msg) may store `msg` under `limits`: replacing or clearing a topic's message is
  // always admitted, a new topic only while the store stays within both limits. The broker's own
  // messages (publisher id 0: $SYS topics) are always admitted and not counted.
  bool Admits(const Message& msg, const Limits& limits) const;

  // Room for `count` topics without rehashing (a restart restoring a million retained messages).
  void Reserve(size_t count) { slots_.reserve(count); }

  // Retains `msg` under its topic, replacing the previous one; an empty payload clears the topic.
  // `msg` must not be null.
  void Set(MessageRef msg);

  // The message retained under exactly `topic`, or nullptr.
  const MessageRef* Find(std::string_view topic) const;

  // Calls f(const MessageRef&) for every retained message whose topic matches `filter` (wildcards
  // allowed; a `$` topic is not matched by a filter starting with a wildcard), in topic order.
  template <class F>
  void Match(std::string_view filter, F&& f) const {
    MatchCursor cursor;
    MatchSome(filter, cursor, std::numeric_limits<size_t>::max(), [&f](const MessageRef& msg) {
      f(msg);
      return true;
    });
  }

  // Resumes the walk of `filter`'s matches at `cursor`, visiting at most `max_visits` stored topics
  // (matching or not) in topic order; f(const MessageRef&) -> bool is called per match, and false
  // stops the walk before that message (the next call offers it again). Returns the topics visited;
  // cursor.done tells that the walk is over. Between calls the store may change: a topic set
  // behind the cursor is not visited, one ahead of it is visited with its latest message.
  template <class F>
  size_t MatchSome(std::string_view filter, MatchCursor& cursor, size_t max_visits, F&& f) const;

  // Removes up to `max_count` messages whose expiry (Message::ExpiredAt) has passed, soonest
  // first; returns how many. Visits only expired entries.
  size_t PurgeExpired(int64_t now_ms, size_t max_count);

  // Topics with a retained message, and their bytes (as Limits counts them).
  size_t size() const { return slots_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  // One retained topic. Its address is stable, so replacing the message of a topic (the common
  // update) touches the hash index only, never the ordered one.
  struct Slot {
    MessageRef msg;
  };
  struct TopicOf {
    static std::string_view Of(std::string_view topic) { return topic; }
    static std::string_view Of(const Slot* slot) { return slot->msg->topic(); }
    static std::string_view Of(const std::unique_ptr<Slot>& slot) { return slot->msg->topic(); }
  };
  struct TopicHash {
    using is_transparent = void;
    template <class T>
    size_t operator()(const T& key) const {
      const std::string_view topic = TopicOf::Of(key);
      return absl::Hash<absl::string_view>{}(absl::string_view(topic.data(), topic.size()));
    }
  };
  struct TopicEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return TopicOf::Of(a) == TopicOf::Of(b); }
  };
  struct TopicLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return TopicOf::Of(a) < TopicOf::Of(b); }
  };
  using Slots = absl::flat_hash_set<std::unique_ptr<Slot>, TopicHash, TopicEq>;  // owns the slots
  using Ordered = absl::btree_set<const Slot*, TopicLess>;                        // walks filters

  enum class Step : uint8_t { kMatch, kNext, kSeek, kDone };
  // What to do at `topic` while walking `filter`'s matches: deliver it, go on to the next topic,
  // jump to the first topic at or after `seek` (no topic in between can match), or stop.
  static Step NextStep(std::string_view filter, std::string_view topic, std::string& seek);
  // The text every matching topic starts with (up to the first wildcard level).
  static std::string_view LiteralPrefix(std::string_view filter);

  void Forget(const Message& msg);    // drops the accounting of a message leaving the store
  void Remember(const Message& msg);  // and of one entering it

  void Erase(Slots::iterator it);

  Slots slots_;
  Ordered ordered_;
  absl::btree_set<std::pair<int64_t, const Message*>> expiries_;  // (deadline, message) of stored ones
  size_t bytes_ = 0;
  size_t broker_owned_count_ = 0;  // of them, the broker's own (not counted against the limits)
  size_t broker_owned_bytes_ = 0;
};

template <class F>
size_t RetainedStore::MatchSome(std::string_view filter, MatchCursor& cursor, size_t max_visits, F&& f) const {
  if (cursor.done) return 0;
  if (filter.find_first_of("+#") == std::string_view::npos) {  // one topic: no walk
    const MessageRef* exact = Find(filter);
    cursor.done = exact == nullptr || f(*exact);
    return 1;
  }
  const std::string_view prefix = LiteralPrefix(filter);
  auto it = cursor.started ? ordered_.upper_bound(std::string_view(cursor.after)) : ordered_.lower_bound(prefix);
  std::string_view last;  // the last topic passed in this call
  std::string seek;
  size_t visits = 0;
  bool done = false;
  while (visits < max_visits) {
    if (it == ordered_.end() || !(*it)->msg->topic().starts_with(prefix)) {
      done = true;
      break;
    }
    const std::string_view topic = (*it)->msg->topic();
    ++visits;
    const Step step = NextStep(filter, topic, seek);
    if (step == Step::kMatch && !f((*it)->msg)) break;
    last = topic;
    if (step == Step::kDone) {
      done = true;
      break;
    }
    it = step == Step::kSeek ? ordered_.lower_bound(std::string_view(seek)) : std::next(it);
  }
  if (!last.empty()) {
    cursor.after.assign(last);
    cursor.started = true;
  }
  cursor.done = done;
  return visits;
}

}  // namespace ringmq
