// The operator's access policy: who may log in (--password_file) and what each client may publish
// and receive (--acl_file), loaded from the files at start-up and again on SIGHUP.
//
// Thread ownership: an AccessPolicy is immutable once loaded and shared read-only by every shard
// (std::shared_ptr<const AccessPolicy>). The AccessPolicyStore is written by the main thread (start-up
// and SIGHUP) and read by the shards, which look at its generation once per tick and take the new
// policy between loop turns.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/acl.h"
#include "core/password_file.h"
#include "net/broker_config.h"

namespace ringmq {

struct AccessPolicy {
  std::shared_ptr<const PasswordFile> passwords;  // null: no password file
  std::shared_ptr<const AclFile> acl;             // null: no ACL
  bool allow_anonymous = true;
  bool enhanced_auth = false;  // an AUTH method (SCRAM) proves logins as well
  uint64_t generation = 0;

  // Logins are proven: who logged in is an identity, and client ids belong to it.
  bool authenticates() const { return passwords != nullptr || enhanced_auth; }
  // Sessions carry a login record (username, ACL binding).
  bool tracks_logins() const { return authenticates() || acl != nullptr; }
};

// Reads and parses the files; an error names the file and the line. Reads files: main thread only.
absl::StatusOr<std::shared_ptr<const AccessPolicy>> LoadAccessPolicy(const AccessFiles& files,
                                                                     uint64_t generation);

class AccessPolicyStore {
 public:
  explicit AccessPolicyStore(std::shared_ptr<const AccessPolicy> initial)
      : policy_(std::move(initial)), generation_(policy_->generation) {}

  void Replace(std::shared_ptr<const AccessPolicy> policy) {
    absl::MutexLock lock(&mutex_);
    generation_.store(policy->generation, std::memory_order_release);
    policy_ = std::move(policy);
  }
  // Cheap enough for every tick: a shard takes the policy (under the lock) only when this changed.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const AccessPolicy> Current() const {
    absl::MutexLock lock(&mutex_);
    return policy_;
  }

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ringmq
