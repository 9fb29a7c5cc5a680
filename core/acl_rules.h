// The compiled form of an ACL file, shared by AclFile (core/acl.h) and its parser. Internal to the
// ACL: the broker uses AclFile and AclBinding only.
//
// Thread ownership: built by AclFile::Parse, then immutable and shared read-only by all threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/acl_trie.h"

namespace ringmq {

// One `topic` or `pattern` line, kept as written (levels) besides its trie form: SUBSCRIBE checks
// compare filters with filters, rule by rule.
struct AclRule {
  std::vector<AclRuleLevel> levels;
  uint8_t access = 0;  // kAclRead | kAclWrite, or kAclDeny alone
};

struct AclSection {
  AclTrie trie;
  std::vector<AclRule> rules;

  void Add(AclRule rule) {
    trie.Add(rule.levels, rule.access);
    rules.push_back(std::move(rule));
  }
};

struct CompiledAcl {
  // Not added to after parsing, so pointers to the sections stay valid.
  absl::flat_hash_map<std::string, AclSection> users;
  AclSection anonymous;
  AclSection patterns;
};

}  // namespace ringmq
