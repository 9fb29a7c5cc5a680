// One shard's side of access control: logs clients in against the current AccessPolicy (password
// file), remembers who each session logged in as, and answers the ACL's questions for the protocol
// handling: may this session publish to a topic, subscribe to a filter, receive a message.
//
// Password hashing is slow on purpose (PBKDF2, ~0.5-1 ms per login at 1000 iterations), so a reconnect
// storm after a restart would stall everyone else on the shard. Two things bound that: verified
// credentials are remembered (core/credential_cache.h), so a device reconnecting with the same password
// costs one HMAC; and the hashing a shard does in one loop turn is bounded (kHashBudgetNs), so a CONNECT
// that needs a hash beyond it waits, unparsed, for the next turn while the shard serves everyone else.
//
// Thread ownership: owned by one shard; only that shard's thread touches it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/acl_check_cache.h"
#include "core/credential_cache.h"
#include "core/packet.h"
#include "core/reason_code.h"
#include "core/session.h"
#include "net/access_policy.h"
#include "net/mqtt/authorizer.h"

namespace ringmq {

enum class LoginOutcome : uint8_t { kAccepted, kDeferred, kRefused };

struct LoginVerdict {
  LoginOutcome outcome = LoginOutcome::kAccepted;
  ReasonCode reason = ReasonCode::kSuccess;  // the CONNACK's, in the client's protocol version
  std::string_view why;                      // for the one log line; never sent to the client
};

// What a policy reload asks of the shard.
struct ReloadEffects {
  std::vector<Session*> logins_revoked;  // their users left the password file: close their connections
  struct RevokedFilter {
    Session* session;
    std::string filter;
    std::string share_group;
  };
  std::vector<RevokedFilter> filters_revoked;  // the new ACL lets them read nothing: unsubscribe
};

class AccessControl final : public Authorizer {
 public:
  explicit AccessControl(std::shared_ptr<const AccessPolicy> policy);

  const AccessPolicy& policy() const { return *policy_; }
  uint64_t generation() const { return policy_->generation; }

  // Starts a loop turn: a new hashing budget.
  void BeginTurn() { hashed_this_turn_ns_ = 0; deferred_this_turn_ = false; }
  // A CONNECT was deferred this turn: the loop must not sleep before the next turn looks at it.
  bool deferred_this_turn() const { return deferred_this_turn_; }

  // Checks the CONNECT's username and password (not yet any existing session: see OwnsClientId).
  LoginVerdict CheckLogin(const ConnectPacket& connect);
  // `login` is who a CONNECT logged in as: the user an enhanced-authentication exchange proved, else
  // the CONNECT's username (nullopt: anonymous).
  // False when the client id's existing session belongs to another login (another username, or one
  // with a username against one without): that CONNECT must not take over or read it.
  bool MayTakeOver(const Session& existing, std::optional<std::string_view> login) const;
  // After the login was accepted: the session now belongs to it. `enhanced`: proven by an AUTH method,
  // not by the password file (a password-file reload does not revoke it).
  void RecordLogin(const Session& session, std::optional<std::string_view> login, bool enhanced);
  void ForgetSession(const Session& session);

  // PUBLISH (and wills when published): reserved topics ($SYS/..., and every $ topic unless the ACL
  // grants it) and the ACL's write rules.
  bool MayPublish(const Session& session, std::string_view topic) override;
  // SUBSCRIBE of one filter (the inner filter of a shared subscription). kCheckEachMessage also marks
  // the session, so that deliveries to it are checked one by one.
  SubscribeVerdict ClassifySubscription(const Session& session, std::string_view filter) override;
  // At delivery: false when the session may not read the topic. Costs one flag test for sessions whose
  // every subscription the ACL grants in full.
  bool MayReceive(const Session& session, std::string_view topic) override {
    if (checking_each_message_ == 0) return true;  // no ACL, or every filter here granted in full
    const Login* login = Find(session);
    if (login == nullptr || !login->check_each_message) return true;
    return acl_cache_->MayReceive(*policy_->acl, login->binding, topic);
  }

  // Switches to a new policy and says which logins and subscriptions it revokes. `sessions` are all
  // of the shard's sessions (each re-bound to the new ACL and its subscriptions re-classified).
  template <class SessionRange>
  ReloadEffects Reload(std::shared_ptr<const AccessPolicy> policy, const SessionRange& sessions) {
    ReloadEffects effects;
    // The cache sees the new password file's generation and forgets what the old one verified.
    std::shared_ptr<const AccessPolicy> old = std::exchange(policy_, std::move(policy));
    MakeAclCache();  // new bindings get new serials, so old answers could not be mistaken anyway
    for (const auto& session : sessions) Recheck(*session, effects);
    return effects;  // `old` lives until here: the bindings pointed into its ACL
  }

 private:
  // Who a session logged in as. Kept beside the session (not in it: a session must stay small, and a
  // broker without access control keeps none of these).
  struct Login {
    std::optional<std::string> username;
    AclBinding binding;
    bool check_each_message = false;  // a subscription is wider than the ACL's read grants
    bool enhanced = false;            // proven by an AUTH method rather than the password file
  };
  static constexpr int64_t kHashBudgetNs = 2'000'000;  // per loop turn; the first hash always runs

  void MakeAclCache();
  void SetCheckEachMessage(Login& login, bool check);
  // kDeferred: a hash is needed and this turn's budget is spent.
  LoginOutcome VerifyPassword(std::string_view username, std::string_view password);
  // The session's login record, or nullptr. Remembers the last one: a shard handles a client's
  // packets in bursts, and the hash lookup was ~2 % of broker CPU per PUBLISH with an ACL.
  Login* Find(const Session& session) const {
    if (&session != last_session_) {
      auto it = logins_.find(&session);
      last_session_ = &session;
      last_login_ = it == logins_.end() ? nullptr : it->second.get();
    }
    return last_login_;
  }
  void Recheck(Session& session, ReloadEffects& effects);
  AclBinding Bind(const Login& login, const Session& session) const;

  std::shared_ptr<const AccessPolicy> policy_;
  CredentialCache cache_;
  // Recent ACL answers by (session, topic): devices repeat their topics. Only with an ACL.
  std::unique_ptr<AclCheckCache> acl_cache_;
  absl::flat_hash_map<const Session*, std::unique_ptr<Login>> logins_;
  mutable const Session* last_session_ = nullptr;  // Find's memory; reset whenever logins_ changes
  mutable Login* last_login_ = nullptr;
  size_t checking_each_message_ = 0;  // logins with check_each_message set
  int64_t hashed_this_turn_ns_ = 0;
  bool deferred_this_turn_ = false;
};

}  // namespace ringmq
