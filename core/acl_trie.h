// AclTrie: the compiled filters of one ACL section (a user's rules, the anonymous rules, or the
// patterns), keyed level by level, answering "which access do the rules matching this topic give?"
// in one walk of the topic. Built once when the ACL file is parsed, then only read.
//
// Layout: nodes and their literal edges sit in two flat vectors (indices, not pointers), so a
// section of a few rules is a few cache lines. An edge carries its key's length and first 8 bytes
// as one word, so most comparisons are two integer compares (keys of up to 8 bytes never reach
// memcmp). A node's literal edges are sorted: a handful are scanned, many are binary-searched. `+`, `#`, `%c` and `%u` have their own slots; `%c`/`%u` are
// compared with the client's id/username at check time, which is what lets every client share one
// compiled copy of the patterns. `#` is always a leaf, so it is folded into its parent as bits.
// Each node also records the access bits found anywhere below it, so a walk skips subtrees that
// cannot change the answer (no deny, no grant still missing).
//
// Thread ownership: immutable after Finish(); shared read-only by every shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringmq {

// Rules deeper than this are refused when parsing: the trie walk recurses once per rule level, and
// no real ACL comes near it.
inline constexpr size_t kMaxAclFilterLevels = 256;

// Access bits of an ACL rule. A `deny` rule refuses both directions and wins over any grant.
inline constexpr uint8_t kAclRead = 1;
inline constexpr uint8_t kAclWrite = 2;
inline constexpr uint8_t kAclDeny = 4;

// One level of an ACL rule's filter as written in the file.
struct AclRuleLevel {
  enum class Kind : uint8_t { kLiteral, kPlus, kHash, kClientId, kUsername };
  Kind kind = Kind::kLiteral;
  std::string text;  // the literal; empty otherwise
};

// Whose topic is checked: the strings `%c` and `%u` stand for, as views onto strings the caller
// owns. Pointers and 16-bit sizes rather than std::string_view, since a binding holding this is kept
// with every session; MQTT strings (client ids, usernames) are at most 65,535 bytes.
class AclSubject {
 public:
  AclSubject() = default;
  AclSubject(std::string_view client_id, std::optional<std::string_view> username)
      : client_id_(client_id.data()),
        username_(username ? username->data() : nullptr),
        client_id_size_(static_cast<uint16_t>(client_id.size())),
        username_size_(username ? static_cast<uint16_t>(username->size()) : 0),
        has_username_(username.has_value()) {}

  std::string_view client_id() const { return {client_id_, client_id_size_}; }
  std::string_view username() const { return {username_, username_size_}; }
  bool has_username() const { return has_username_; }

 private:
  const char* client_id_ = nullptr;
  const char* username_ = nullptr;
  uint16_t client_id_size_ = 0;
  uint16_t username_size_ = 0;
  bool has_username_ = false;
};

class AclTrie {
 public:
  // Adds one rule. `levels` must form a valid topic filter. Only before Finish().
  void Add(const std::vector<AclRuleLevel>& levels, uint8_t access);
  // Lays out and sorts edges and computes the below-bits; call once after the last Add().
  void Finish();

  bool empty() const { return nodes_.front().below == 0; }

  // The union of the access bits of rules matching `topic`, OR-ed into `found`. Stops early once
  // the answer for `wanted` (kAclRead or kAclWrite) is decided: a deny was found, or `wanted` was
  // granted and no deny lies on any remaining path.
  // `topic` must be a valid topic name.
  uint8_t Match(std::string_view topic, const AclSubject& subject, uint8_t wanted, uint8_t found) const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Literal edges of a node beyond this many are binary-searched.
  static constexpr uint32_t kMaxScanned = 8;

  struct Node {
    uint32_t first_edge = 0;  // this node's literal edges: edges_[first_edge, first_edge + edge_count)
    uint32_t edge_count = 0;
    uint32_t plus = kNone;
    uint32_t client_id = kNone;
    uint32_t username = kNone;
    uint8_t here = 0;       // rules whose filter ends at this node
    uint8_t hash_here = 0;  // rules whose filter ends with `#` right below this node
    uint8_t below = 0;      // here | hash_here of this node and every node below it
  };
  struct Edge {
    uint64_t prefix = 0;  // AclKeyPrefix(key)
    uint32_t size = 0;
    uint32_t child = 0;
  };
  struct PendingEdge {
    std::string key;
    uint32_t child = 0;
  };
  class Walk;

  uint32_t Child(uint32_t node, const AclRuleLevel& level);
  [[gnu::always_inline]] inline uint32_t FindLiteral(const Node& node, std::string_view level, uint64_t prefix) const;
  // The binary search for nodes with many edges; out of line so the scan stays small.
  [[gnu::noinline]] uint32_t SearchLiteral(const Node& node, std::string_view level, uint64_t prefix) const;
  bool SameKey(uint32_t edge, std::string_view level, uint64_t prefix) const;
  uint8_t ComputeBelow(uint32_t node);

  std::vector<Node> nodes_ = std::vector<Node>(1);  // [0] is the root
  std::vector<Edge> edges_;
  std::vector<std::string> edge_keys_;  // parallel to edges_: whole keys, for those over 8 bytes
  // Only while building: each node's edges before Finish() lays them out contiguously.
  std::vector<std::vector<PendingEdge>> pending_edges_ = std::vector<std::vector<PendingEdge>>(1);
};

}  // namespace ringmq
