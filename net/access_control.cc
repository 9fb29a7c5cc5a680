#include "net/access_control.h"

#include <ctime>
#include <utility>

namespace ringmq {
namespace {

int64_t ThreadCpuNs() {
  // The hashing budget is CPU time: a shard descheduled mid-hash on a busy machine has not spent it.
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool IsReservedTopic(std::string_view topic) { return !topic.empty() && topic.front() == '$'; }

bool IsSysTopic(std::string_view topic) { return topic == "$SYS" || topic.starts_with("$SYS/"); }

// Refused logins say no more than that: which of username and password was wrong is no one's business.
ReasonCode RefusedLogin(ProtocolVersion version) {
  return IsV5(version) ? ReasonCode::kBadUserNameOrPassword : ReasonCode::kNotAuthorized;
}

}  // namespace

AccessControl::AccessControl(std::shared_ptr<const AccessPolicy> policy) : policy_(std::move(policy)) {
  MakeAclCache();
}

void AccessControl::MakeAclCache() {
  // 4096 slots (256 KiB) hit ~94 % of checks in bench/core/acl_bench; a shard without an ACL keeps none.
  constexpr size_t kAclCacheSlots = 4096;
  if (policy_->acl) {
    acl_cache_ = std::make_unique<AclCheckCache>(kAclCacheSlots);
  } else {
    acl_cache_.reset();
  }
}

LoginVerdict AccessControl::CheckLogin(const ConnectPacket& connect) {
  if (!connect.username.has_value()) {
    if (policy_->allow_anonymous) return {};
    return {LoginOutcome::kRefused, ReasonCode::kNotAuthorized, "anonymous login refused (--allow_anonymous)"};
  }
  if (policy_->passwords == nullptr) return {};
  switch (VerifyPassword(*connect.username, connect.password.value_or(std::string_view()))) {
    case LoginOutcome::kAccepted:
      return {};
    case LoginOutcome::kDeferred:
      return {LoginOutcome::kDeferred, ReasonCode::kSuccess, {}};
    case LoginOutcome::kRefused:
      break;
  }
  return {LoginOutcome::kRefused, RefusedLogin(connect.version), "bad username or password"};
}

LoginOutcome AccessControl::VerifyPassword(std::string_view username, std::string_view password) {
  if (cache_.Remembers(*policy_->passwords, username, password)) return LoginOutcome::kAccepted;
  if (hashed_this_turn_ns_ >= kHashBudgetNs) {
    deferred_this_turn_ = true;
    return LoginOutcome::kDeferred;
  }
  const int64_t start = ThreadCpuNs();
  const bool verified = cache_.Verify(*policy_->passwords, username, password);
  hashed_this_turn_ns_ += ThreadCpuNs() - start;
  return verified ? LoginOutcome::kAccepted : LoginOutcome::kRefused;
}

bool AccessControl::MayTakeOver(const Session& existing, std::optional<std::string_view> login) const {
  if (!policy_->authenticates()) return true;  // unproven usernames own nothing
  const Login* owner = Find(existing);
  return owner == nullptr || owner->username == login;
}

void AccessControl::RecordLogin(const Session& session, std::optional<std::string_view> login, bool enhanced) {
  if (!policy_->tracks_logins()) return;
  auto record = std::make_unique<Login>();
  record->enhanced = enhanced;
  if (login.has_value()) record->username.emplace(*login);
  record->binding = Bind(*record, session);
  ForgetSession(session);
  Login& recorded = *(logins_[&session] = std::move(record));
  // A resumed session keeps its subscriptions: judged again for this login, and any the ACL does not
  // grant in full is checked message by message (one it denies then delivers nothing).
  if (policy_->acl == nullptr) return;
  for (const SessionSubscription& sub : session.subscriptions()) {
    if (policy_->acl->ClassifySubscription(recorded.binding, sub.filter) != SubscribeVerdict::kGranted) {
      SetCheckEachMessage(recorded, true);
      break;
    }
  }
}

void AccessControl::SetCheckEachMessage(Login& login, bool check) {
  if (login.check_each_message == check) return;
  login.check_each_message = check;
  if (check) {
    ++checking_each_message_;
  } else {
    --checking_each_message_;
  }
}

void AccessControl::ForgetSession(const Session& session) {
  if (Login* login = Find(session)) SetCheckEachMessage(*login, false);
  logins_.erase(&session);
  last_session_ = nullptr;  // a new session may be made at the same address
}

AclBinding AccessControl::Bind(const Login& login, const Session& session) const {
  if (!policy_->acl) return AclBinding();
  std::optional<std::string_view> username;
  if (login.username.has_value()) username = *login.username;
  return policy_->acl->Bind(username, session.client_id());
}

bool AccessControl::MayPublish(const Session& session, std::string_view topic) {
  if (IsReservedTopic(topic)) {
    if (IsSysTopic(topic) || !policy_->acl) return false;
  } else if (!policy_->acl) {
    return true;
  }
  const Login* login = Find(session);
  return login != nullptr && acl_cache_->MayPublish(*policy_->acl, login->binding, topic);
}

SubscribeVerdict AccessControl::ClassifySubscription(const Session& session, std::string_view filter) {
  if (!policy_->acl) return SubscribeVerdict::kGranted;
  Login* login = Find(session);
  if (login == nullptr) return SubscribeVerdict::kDenied;
  const SubscribeVerdict verdict = policy_->acl->ClassifySubscription(login->binding, filter);
  if (verdict == SubscribeVerdict::kCheckEachMessage) SetCheckEachMessage(*login, true);
  return verdict;
}

void AccessControl::Recheck(Session& session, ReloadEffects& effects) {
  Login* login = Find(session);
  if (login == nullptr) {
    if (!policy_->tracks_logins()) return;
    // Cannot happen with files fixed at start-up; a session without a record reads nothing.
    RecordLogin(session, std::nullopt, false);
    login = Find(session);
  }
  if (policy_->passwords != nullptr && !login->enhanced && login->username.has_value() &&
      !policy_->passwords->Contains(*login->username)) {
    effects.logins_revoked.push_back(&session);
  }
  login->binding = Bind(*login, session);
  SetCheckEachMessage(*login, false);
  if (!policy_->acl) return;
  for (const SessionSubscription& sub : session.subscriptions()) {
    if (ClassifySubscription(session, sub.filter) == SubscribeVerdict::kDenied) {
      effects.filters_revoked.push_back({&session, sub.filter, sub.share_group});
    }
  }
}

}  // namespace ringmq
