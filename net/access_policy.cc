#include "net/access_policy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return text.str();
}

// Reads and parses one file; an error names the file (the parser's message names the line).
template <class Parsed>
absl::StatusOr<std::shared_ptr<const Parsed>> LoadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Parsed> parsed = Parsed::Parse(*text);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.status().message()));
  return std::make_shared<const Parsed>(*std::move(parsed));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const AccessPolicy>> LoadAccessPolicy(const AccessFiles& files, uint64_t generation) {
  auto policy = std::make_shared<AccessPolicy>();
  policy->generation = generation;
  if (!files.password_file.empty()) {
    absl::StatusOr<std::shared_ptr<const PasswordFile>> passwords = LoadFile<PasswordFile>(files.password_file);
    if (!passwords.ok()) return passwords.status();
    policy->passwords = *std::move(passwords);
  }
  if (!files.acl_file.empty()) {
    absl::StatusOr<std::shared_ptr<const AclFile>> acl = LoadFile<AclFile>(files.acl_file);
    if (!acl.ok()) return acl.status();
    policy->acl = *std::move(acl);
  }
  policy->allow_anonymous = files.allow_anonymous.value_or(policy->passwords == nullptr);
  policy->enhanced_auth = files.enhanced_auth;
  return policy;
}

}  // namespace ringmq
