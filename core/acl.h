// AclFile: a mosquitto-compatible ACL file (`acl_file`), compiled for checks on the publish and
// delivery paths.
//
// Syntax (one statement a line; `#` starts a comment line; blank lines are ignored):
//   user NAME                                   starts NAME's section
//   topic   [read|write|readwrite|deny] FILTER  a rule of the current section (anonymous clients'
//                                               section before any `user` line)
//   pattern [read|write|readwrite|deny] FILTER  a rule for every client; a level that is exactly
//                                               `%c` / `%u` stands for its client id / username
// The access defaults to readwrite; FILTER is the rest of the line, trimmed, a valid MQTT topic filter
// of at most 256 levels. Sections of a name that comes back merge.
//
// Evaluation for one client and topic: the client's own section (its user section, or the anonymous
// section when it has no username) and the patterns (those with `%u` only when it has a username).
// A matching `deny` refuses whatever else grants (deliberately stricter than mosquitto, where a
// user's grant is final before the patterns are looked at); otherwise a matching rule granting the
// access allows; otherwise the answer is no. Only rules whose filter starts with `$` see topics that
// start with `$`, so `#` never grants `$SYS/...` (nor does `%c/#` for a client id starting with `$`).
// When the file has patterns, a client whose username or client id contains `+` or `#` is refused
// everything (mosquitto refuses it the patterns, which is where a wildcard name would widen a rule;
// this also refuses its own section, which is simpler to reason about). `%c`/`%u`
// replace one whole level: a client id containing `/` never matches a `%c` level (mosquitto pastes the
// text, which would let client `a/b` into client `a`'s `devices/a/b/...`). `%c` inside a longer level
// is literal text. `$share/...` is not a topic: callers check the filter inside a shared subscription.
//
// Thread ownership: an AclFile is immutable after Parse and shared read-only by all shard threads
// (copies share the compiled rules). An AclBinding belongs to the session it was made for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/acl_trie.h"

namespace ringmq {

struct AclSection;
struct CompiledAcl;

// A client's view of the ACL, made once at CONNECT and kept with the session. 48 bytes: a pointer
// to the client's compiled section, views onto its client id and username (which the session must
// own and keep unchanged for as long as it uses the binding) and a serial for caches. Valid while the AclFile (or a
// copy of it) that made it lives; a reloaded file needs new bindings.
class AclBinding {
 public:
  AclBinding() = default;  // refuses everything

  // Unique per Bind call in this process (never 0 for a bound client, never reused), so a cache
  // keyed by it cannot hand one client's answers to another that later sits at the same address.
  uint64_t serial() const { return serial_; }

 private:
  friend class AclFile;
  const AclSection* own_ = nullptr;  // the user's or the anonymous section; null when there is none
  AclSubject subject_;
  uint64_t serial_ = 0;
  bool refused_ = true;  // no AclFile made it, or `+`/`#` in its names while patterns exist
};

enum class SubscribeVerdict : uint8_t {
  kDenied,            // no topic the filter matches is readable: refuse it in SUBACK
  kGranted,           // every topic it matches is readable and no deny touches it: no check at delivery
  kCheckEachMessage,  // grant it, and call MayReceive for each message delivered through it
};

class AclFile {
 public:
  // Parses the text of an ACL file. Errors name the line: "line 12: unknown keyword 'topc'".
  static absl::StatusOr<AclFile> Parse(std::string_view text);

  // `username` is nullopt for a client that sent none (an empty username is a username).
  AclBinding Bind(std::optional<std::string_view> username, std::string_view client_id) const;

  // `topic` must be a valid topic name (core/topic.h).
  bool MayPublish(const AclBinding& binding, std::string_view topic) const { return Allows(binding, topic, kAclWrite); }
  bool MayReceive(const AclBinding& binding, std::string_view topic) const { return Allows(binding, topic, kAclRead); }

  // `filter` must be a valid topic filter; for `$share/{group}/{filter}` pass the inner filter. Costs
  // a pass over the client's rules and the patterns: meant for SUBSCRIBE, not for each message.
  SubscribeVerdict ClassifySubscription(const AclBinding& binding, std::string_view filter) const;

  // Counts for logging on load.
  size_t user_count() const;
  size_t rule_count() const;

 private:
  explicit AclFile(std::shared_ptr<const CompiledAcl> compiled) : compiled_(std::move(compiled)) {}
  bool Allows(const AclBinding& binding, std::string_view topic, uint8_t wanted) const;

  // Shared so that copies are cheap and bindings stay valid when the AclFile value moves.
  std::shared_ptr<const CompiledAcl> compiled_;
};

}  // namespace ringmq
