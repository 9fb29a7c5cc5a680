#include "core/acl_trie.h"

#include <algorithm>
#include <cstring>

#include "core/word_bytes.h"
#include <tuple>
#include <utility>

namespace ringmq {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101;
constexpr uint64_t kHighs = 0x8080808080808080;

// Flags the '/' bytes of a word (the lowest flag is exact: borrows only run upwards).
uint64_t SlashBytes(uint64_t word) {
  const uint64_t x = word ^ (kOnes * '/');
  return (x - kOnes) & ~x & kHighs;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the word-at-a-time scans assume little-endian words");

// Where the next '/' at or after `from` is, or text.size(): eight bytes per step (a zero-byte test
// on the word XOR-ed with '/' in every byte), since a check must cost tens of nanoseconds.
size_t NextSlash(std::string_view text, size_t from) {
  size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    const uint64_t slashes = SlashBytes(Load8(text.data() + i));
    if (slashes != 0) return i + static_cast<size_t>(__builtin_ctzll(slashes)) / 8;
  }
  while (i < text.size() && text[i] != '/') ++i;
  return i;
}

bool SameText(std::string_view a, std::string_view b) { return a.size() == b.size() && SameBytes(a.data(), b.data(), a.size()); }

// One level of a topic: where it ends and its AclKeyPrefix, from a single scan.
struct ScannedLevel {
  size_t end;  // the '/' after the level, or the topic's size
  uint64_t prefix;
};

// Scans the level starting at `start`. The common case - a level under 8 bytes with 8 bytes to read -
// costs one load: the word gives both the slash and the prefix.
ScannedLevel ScanLevel(std::string_view text, size_t start) {
  if (text.size() - start >= 8) {
    const uint64_t word = Load8(text.data() + start);
    if (const uint64_t slashes = SlashBytes(word); slashes != 0) {
      const size_t size = static_cast<size_t>(__builtin_ctzll(slashes)) / 8;
      return {start + size, word & ((uint64_t{1} << (8 * size)) - 1)};
    }
    return {NextSlash(text, start + 8), word};
  }
  uint64_t prefix = 0;
  size_t i = start;
  for (; i < text.size() && text[i] != '/'; ++i) prefix |= uint64_t{static_cast<unsigned char>(text[i])} << (8 * (i - start));
  return {i, prefix};
}

}  // namespace

uint64_t AclKeyPrefix(std::string_view key) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < key.size() && i < 8; ++i) prefix |= uint64_t{static_cast<unsigned char>(key[i])} << (8 * i);
  return prefix;
}

uint32_t AclTrie::FindLiteral(const Node& node, std::string_view level, uint64_t prefix) const {
  if (node.edge_count > kMaxScanned) return SearchLiteral(node, level, prefix);
  const Edge* edge = edges_.data() + node.first_edge;
  const Edge* const last = edge + node.edge_count;
  for (; edge != last; ++edge) {
    if (edge->prefix == prefix && edge->size == level.size()) {
      const size_t index = static_cast<size_t>(edge - edges_.data());
      if (level.size() <= 8 || SameBytes(edge_keys_[index].data() + 8, level.data() + 8, level.size() - 8)) return edge->child;
    }
  }
  return kNone;
}

// One topic walked through the trie. Recursion depth is bounded by the deepest rule (at most
// kMaxAclFilterLevels), since a walk only descends along nodes that exist.
class AclTrie::Walk {
 public:
  Walk(const AclTrie& trie, std::string_view topic, const AclSubject& subject, uint8_t wanted, uint8_t found)
      : trie_(trie),
        nodes_(trie.nodes_.data()),
        topic_(topic),
        subject_(subject),
        dollar_topic_(!topic.empty() && topic.front() == '$'),
        wanted_(wanted),
        found_(found) {}

  uint8_t Run() {
    if (!Decided() && Worth(0)) From(0, 0);  // e.g. no patterns, or only grants once granted
    return found_;
  }

 private:
  bool Decided() const { return (found_ & kAclDeny) != 0; }

  // A subtree matters only if it holds a deny, or the wanted grant while it is still missing.
  bool Worth(uint32_t child) const {
    const uint8_t missing = kAclDeny | ((found_ & wanted_) != 0 ? 0 : wanted_);
    return (nodes_[child].below & missing) != 0;
  }

  // `pos` is where the next level of the topic starts; past the end means every level was consumed.
  void From(uint32_t index, size_t pos) {
    const Node& node = nodes_[index];
    if (pos > topic_.size()) {
      found_ |= node.here | node.hash_here;  // `a/#` also matches `a`
      return;
    }
    // Rules whose filter starts with `$` are the only ones that see `$` topics, so at the root a
    // `$` topic follows literal edges only (a `%c`/`%u` level counts as a wildcard here).
    const bool wildcards = pos != 0 || !dollar_topic_;
    if (wildcards) found_ |= node.hash_here;
    const auto [end, prefix] = ScanLevel(topic_, pos);
    const std::string_view level(topic_.data() + pos, end - pos);
    if (node.edge_count != 0) TryChild(trie_.FindLiteral(node, level, prefix), end + 1);
    if (!wildcards) return;
    TryChild(node.plus, end + 1);
    if (node.client_id != kNone && SameText(level, subject_.client_id())) TryChild(node.client_id, end + 1);
    if (node.username != kNone && subject_.has_username() && SameText(level, subject_.username())) {
      TryChild(node.username, end + 1);
    }
  }

  void TryChild(uint32_t child, size_t pos) {
    if (child != kNone && !Decided() && Worth(child)) From(child, pos);
  }

  const AclTrie& trie_;
  const Node* nodes_;  // trie_.nodes_.data(), one load fewer per node
  std::string_view topic_;
  const AclSubject& subject_;
  bool dollar_topic_;
  uint8_t wanted_;
  uint8_t found_;
};

void AclTrie::Add(const std::vector<AclRuleLevel>& levels, uint8_t access) {
  uint32_t node = 0;
  for (const AclRuleLevel& level : levels) {
    if (level.kind == AclRuleLevel::Kind::kHash) {
      nodes_[node].hash_here |= access;
      return;
    }
    node = Child(node, level);
  }
  nodes_[node].here |= access;
}

uint32_t AclTrie::Child(uint32_t node, const AclRuleLevel& level) {
  uint32_t* slot = nullptr;
  switch (level.kind) {
    case AclRuleLevel::Kind::kPlus: slot = &nodes_[node].plus; break;
    case AclRuleLevel::Kind::kClientId: slot = &nodes_[node].client_id; break;
    case AclRuleLevel::Kind::kUsername: slot = &nodes_[node].username; break;
    default: break;
  }
  if (slot != nullptr && *slot != kNone) return *slot;
  if (slot == nullptr) {
    for (const PendingEdge& edge : pending_edges_[node]) {
      if (edge.key == level.text) return edge.child;
    }
  }
  const auto created = static_cast<uint32_t>(nodes_.size());
  if (slot != nullptr) {
    *slot = created;  // before emplace_back: it may move nodes_ and `slot` with it
  } else {
    pending_edges_[node].push_back(PendingEdge{level.text, created});
  }
  nodes_.emplace_back();
  pending_edges_.emplace_back();
  return created;
}

// Edges are ordered by (size, prefix, key), the order FindLiteral's binary search compares in.
static auto EdgeOrder(const std::string& key) { return std::make_tuple(key.size(), AclKeyPrefix(key), std::string_view(key)); }

void AclTrie::Finish() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<PendingEdge>& edges = pending_edges_[i];
    std::sort(edges.begin(), edges.end(),
              [](const PendingEdge& a, const PendingEdge& b) { return EdgeOrder(a.key) < EdgeOrder(b.key); });
    nodes_[i].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[i].edge_count = static_cast<uint32_t>(edges.size());
    for (PendingEdge& edge : edges) {
      edges_.push_back(Edge{AclKeyPrefix(edge.key), static_cast<uint32_t>(edge.key.size()), edge.child});
      edge_keys_.push_back(std::move(edge.key));
    }
  }
  pending_edges_.clear();
  pending_edges_.shrink_to_fit();
  nodes_.shrink_to_fit();
  edges_.shrink_to_fit();
  edge_keys_.shrink_to_fit();
  ComputeBelow(0);
}

uint8_t AclTrie::ComputeBelow(uint32_t index) {
  uint8_t below = nodes_[index].here | nodes_[index].hash_here;
  const Node node = nodes_[index];  // a copy: the recursion reads nodes_ only
  for (uint32_t e = node.first_edge; e < node.first_edge + node.edge_count; ++e) below |= ComputeBelow(edges_[e].child);
  for (uint32_t child : {node.plus, node.client_id, node.username}) {
    if (child != kNone) below |= ComputeBelow(child);
  }
  nodes_[index].below = below;
  return below;
}

bool AclTrie::SameKey(uint32_t edge, std::string_view level, uint64_t prefix) const {
  const Edge& e = edges_[edge];
  if (e.size != level.size() || e.prefix != prefix) return false;
  return level.size() <= 8 || SameBytes(edge_keys_[edge].data() + 8, level.data() + 8, level.size() - 8);
}

uint32_t AclTrie::SearchLiteral(const Node& node, std::string_view level, uint64_t prefix) const {
  const uint32_t first = node.first_edge;
  const uint32_t last = first + node.edge_count;
  const auto wanted = std::make_tuple(level.size(), prefix, level);
  uint32_t low = first;
  uint32_t high = last;
  while (low < high) {
    const uint32_t mid = low + (high - low) / 2;
    if (EdgeOrder(edge_keys_[mid]) < wanted) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low < last && SameKey(low, level, prefix) ? edges_[low].child : kNone;
}

uint8_t AclTrie::Match(std::string_view topic, const AclSubject& subject, uint8_t wanted, uint8_t found) const {
  return Walk(*this, topic, subject, wanted, found).Run();
}

}  // namespace ringmq
