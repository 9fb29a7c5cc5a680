#include "core/acl.h"

#include <atomic>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "core/acl_rules.h"
#include "core/filter_overlap.h"

namespace ringmq {
namespace {

// Bindings are made on every shard thread; relaxed is enough for uniqueness.
std::atomic<uint64_t> next_binding_serial{1};

bool HasWildcard(std::string_view name) { return name.find_first_of("+#") != std::string_view::npos; }

// A rule's filter with `%c`/`%u` replaced by the client's strings, or nullopt when the rule can match
// no topic of this client: a `%u` rule for a client without username, a name containing `/` (no
// topic level equals it), or a name starting with `$` as the first level (a pattern starting with
// `%` is not one that starts with `$`, so it never sees `$` topics).
std::optional<FilterLevels> Resolve(const AclRule& rule, const AclSubject& subject) {
  FilterLevels levels;
  for (const AclRuleLevel& level : rule.levels) {
    using Kind = AclRuleLevel::Kind;
    switch (level.kind) {
      case Kind::kLiteral: levels.push_back(FilterLevel::Literal(level.text)); continue;
      case Kind::kPlus: levels.push_back(FilterLevel::Plus()); continue;
      case Kind::kHash: levels.push_back(FilterLevel::Hash()); continue;
      case Kind::kClientId:
      case Kind::kUsername: break;
    }
    if (level.kind == Kind::kUsername && !subject.has_username()) return std::nullopt;
    const std::string_view name = level.kind == Kind::kClientId ? subject.client_id() : subject.username();
    if (name.find('/') != std::string_view::npos) return std::nullopt;
    if (levels.empty() && name.starts_with('$')) return std::nullopt;
    levels.push_back(FilterLevel::Literal(name));
  }
  return levels;
}

// False when the rule's first level cannot meet the subscription's: then the two filters share no
// topic, and the rule needs no resolving (most rules of a file fail here).
bool FirstLevelsMeet(const AclRule& rule, const FilterLevel& first, const AclSubject& subject) {
  if (!first.is_literal()) return true;
  const AclRuleLevel& level = rule.levels.front();
  switch (level.kind) {
    case AclRuleLevel::Kind::kLiteral: return level.text == first.text;
    case AclRuleLevel::Kind::kClientId: return subject.client_id() == first.text;
    case AclRuleLevel::Kind::kUsername: return subject.has_username() && subject.username() == first.text;
    default: return true;
  }
}

// Calls f(const FilterLevels& filter, uint8_t access) for each rule that applies to the client, has
// one of the `access` bits and may share topics with `subscription`.
template <class F>
void ForEachRule(const AclSection* own, const AclSection& patterns, const AclSubject& subject, uint8_t access,
                 const FilterLevels& subscription, F&& f) {
  for (const AclSection* section : {own, &patterns}) {
    if (section == nullptr) continue;
    for (const AclRule& rule : section->rules) {
      if ((rule.access & access) == 0 || !FirstLevelsMeet(rule, subscription.front(), subject)) continue;
      if (std::optional<FilterLevels> filter = Resolve(rule, subject)) f(*filter, rule.access);
    }
  }
}

}  // namespace

AclBinding AclFile::Bind(std::optional<std::string_view> username, std::string_view client_id) const {
  AclBinding binding;
  binding.subject_ = AclSubject(client_id, username);
  binding.serial_ = next_binding_serial.fetch_add(1, std::memory_order_relaxed);
  if (!username) {
    binding.own_ = &compiled_->anonymous;
  } else if (auto it = compiled_->users.find(absl::string_view(username->data(), username->size())); it != compiled_->users.end()) {
    binding.own_ = &it->second;
  }
  // A `+` or `#` substituted into a pattern would widen it to other clients' topics.
  const bool has_patterns = !compiled_->patterns.rules.empty();
  binding.refused_ = has_patterns && (HasWildcard(client_id) || (username && HasWildcard(*username)));
  // Longer than any MQTT string: AclSubject's 16-bit sizes could not hold it.
  constexpr size_t kMaxName = UINT16_MAX;
  if (client_id.size() > kMaxName || (username && username->size() > kMaxName)) binding.refused_ = true;
  return binding;
}

bool AclFile::Allows(const AclBinding& binding, std::string_view topic, uint8_t wanted) const {
  if (binding.refused_) return false;
  uint8_t found = 0;
  if (binding.own_ != nullptr) found = binding.own_->trie.Match(topic, binding.subject_, wanted, found);
  found = compiled_->patterns.trie.Match(topic, binding.subject_, wanted, found);
  return (found & kAclDeny) == 0 && (found & wanted) != 0;
}

SubscribeVerdict AclFile::ClassifySubscription(const AclBinding& binding, std::string_view filter) const {
  if (binding.refused_) return SubscribeVerdict::kDenied;
  const FilterLevels subscription = SplitFilterLevels(filter);
  const AclSection& patterns = compiled_->patterns;

  // The denies sharing topics with the subscription; usually none or one.
  absl::InlinedVector<FilterLevels, 2> touching_denies;
  bool deny_covers = false;
  ForEachRule(binding.own_, patterns, binding.subject_, kAclDeny, subscription, [&](const FilterLevels& rule, uint8_t) {
    if (!FiltersIntersect(subscription, rule)) return;
    touching_denies.push_back(rule);
    deny_covers = deny_covers || FilterCovers(rule, subscription);
  });
  if (deny_covers) return SubscribeVerdict::kDenied;

  // What a grant can deliver through this subscription is its intersection with it; a grant is of
  // no use if one deny covers that intersection. (Several denies covering it together are not
  // detected: the answer is then kCheckEachMessage, which is still correct.)
  auto one_deny_covers = [&](const FilterLevels& topics) {
    for (const FilterLevels& deny : touching_denies) {
      if (FilterCovers(deny, topics)) return true;
    }
    return false;
  };
  bool readable = false;
  bool grant_covers = false;
  ForEachRule(binding.own_, patterns, binding.subject_, kAclRead, subscription, [&](const FilterLevels& rule, uint8_t) {
    if (grant_covers && readable) return;  // the answer can no longer change
    const std::optional<FilterLevels> both = FilterIntersection(subscription, rule);
    if (!both || one_deny_covers(*both)) return;
    readable = true;
    grant_covers = grant_covers || FilterCovers(rule, subscription);
  });
  if (!readable) return SubscribeVerdict::kDenied;
  return grant_covers && touching_denies.empty() ? SubscribeVerdict::kGranted : SubscribeVerdict::kCheckEachMessage;
}

size_t AclFile::user_count() const { return compiled_->users.size(); }

size_t AclFile::rule_count() const {
  size_t count = compiled_->anonymous.rules.size() + compiled_->patterns.rules.size();
  for (const auto& [name, section] : compiled_->users) count += section.rules.size();
  return count;
}

}  // namespace ringmq
