#include "core/acl_trie.h"

#include <algorithm>
#include <utility>

namespace ringmq {

// One topic walked through the trie. Recursion depth is bounded by the deepest rule, since a walk
// only descends along nodes that exist.
class AclTrie::Walk {
 public:
  Walk(const AclTrie& trie, std::string_view topic, const AclSubject& subject, uint8_t wanted, uint8_t found)
      : trie_(trie),
        topic_(topic),
        subject_(subject),
        dollar_topic_(!topic.empty() && topic.front() == '$'),
        wanted_(wanted),
        found_(found) {}

  uint8_t Run() {
    if (!Decided()) From(0, 0, /*at_root=*/true);
    return found_;
  }

 private:
  bool Decided() const { return (found_ & kAclDeny) != 0; }

  // A subtree matters only if it holds a deny, or the wanted grant while it is still missing.
  bool Worth(uint32_t child) const {
    const uint8_t missing = kAclDeny | ((found_ & wanted_) != 0 ? 0 : wanted_);
    return (trie_.nodes_[child].below & missing) != 0;
  }

  // `pos` is where the next level of the topic starts; past the end means every level was consumed.
  void From(uint32_t index, size_t pos, bool at_root) {
    const Node& node = trie_.nodes_[index];
    if (pos > topic_.size()) {
      found_ |= node.here | node.hash_here;  // `a/#` also matches `a`
      return;
    }
    // Rules whose filter starts with `$` are the only ones that see `$` topics, so at the root a
    // `$` topic follows literal edges only (a `%c`/`%u` level counts as a wildcard here).
    const bool wildcards = !(at_root && dollar_topic_);
    if (wildcards) found_ |= node.hash_here;
    size_t end = topic_.find('/', pos);
    if (end == std::string_view::npos) end = topic_.size();
    const std::string_view level = topic_.substr(pos, end - pos);
    const size_t next = end + 1;
    TryChild(trie_.FindLiteral(node, level), next);
    if (!wildcards) return;
    TryChild(node.plus, next);
    if (node.client_id != kNone && level == subject_.client_id()) TryChild(node.client_id, next);
    if (node.username != kNone && subject_.has_username() && level == subject_.username()) {
      TryChild(node.username, next);
    }
  }

  void TryChild(uint32_t child, size_t next) {
    if (child != kNone && !Decided() && Worth(child)) From(child, next, /*at_root=*/false);
  }

  const AclTrie& trie_;
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
    for (const Edge& edge : pending_edges_[node]) {
      if (edge.key == level.text) return edge.child;
    }
  }
  const auto created = static_cast<uint32_t>(nodes_.size());
  if (slot != nullptr) {
    *slot = created;  // before push_back: it may move nodes_ and `slot` with it
  } else {
    pending_edges_[node].push_back(Edge{level.text, created});
  }
  nodes_.emplace_back();
  pending_edges_.emplace_back();
  return created;
}

void AclTrie::Finish() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Edge>& edges = pending_edges_[i];
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.key < b.key; });
    nodes_[i].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[i].edge_count = static_cast<uint32_t>(edges.size());
    for (Edge& edge : edges) edges_.push_back(std::move(edge));
  }
  pending_edges_.clear();
  pending_edges_.shrink_to_fit();
  nodes_.shrink_to_fit();
  edges_.shrink_to_fit();
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

uint32_t AclTrie::FindLiteral(const Node& node, std::string_view level) const {
  const Edge* begin = edges_.data() + node.first_edge;
  const Edge* end = begin + node.edge_count;
  if (node.edge_count <= kMaxScanned) {
    for (const Edge* edge = begin; edge != end; ++edge) {
      if (edge->key == level) return edge->child;
    }
    return kNone;
  }
  const Edge* found = std::lower_bound(begin, end, level, [](const Edge& edge, std::string_view key) { return edge.key < key; });
  return found != end && found->key == level ? found->child : kNone;
}

uint8_t AclTrie::Match(std::string_view topic, const AclSubject& subject, uint8_t wanted, uint8_t found) const {
  return Walk(*this, topic, subject, wanted, found).Run();
}

}  // namespace ringmq
