#include "core/password_file.h"
#include "core/text.h"

#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

std::atomic<uint64_t> next_generation{1};

// The next line of `text` from `*position` (without its '\n'), advancing past it.
std::string_view NextLine(std::string_view text, size_t* position) {
  size_t end = text.find('\n', *position);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(*position, end - *position);
  *position = end + 1;
  return line;
}

bool IsCommentOrNotAUser(std::string_view line) {
  return (!line.empty() && line.front() == '#') || line.find(':') == std::string_view::npos;
}

absl::Status LineError(size_t line_number, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", why));
}

// The hash that unknown users are checked against: the kind and iteration count most users have,
// so that in the usual file (one kind throughout) an unknown user costs exactly what a known one does.
PasswordHash MakeDecoy(const absl::flat_hash_map<std::string, PasswordHash>& users) {
  std::map<std::pair<PasswordScheme, int>, size_t> kinds;
  for (const auto& [user, hash] : users) ++kinds[{hash.scheme, hash.iterations}];
  std::pair<PasswordScheme, int> most_common{PasswordScheme::kPbkdf2Sha512, kDefaultPbkdf2Iterations};
  size_t most = 0;
  for (const auto& [kind, count] : kinds) {
    if (count > most) most = count, most_common = kind;
  }
  PasswordHash decoy;
  decoy.scheme = most_common.first;
  decoy.iterations = most_common.second;
  decoy.salt.assign(12, 0x5a);
  decoy.digest.fill(0xa5);
  return decoy;
}

}  // namespace

absl::Status ValidatePasswordFileUser(std::string_view user) {
  if (user.empty()) return absl::InvalidArgumentError("empty user name");
  if (user.size() > 65535) return absl::InvalidArgumentError("user name longer than 65535 bytes");
  for (char c : user) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::InvalidArgumentError("user name contains a control character");
    }
    if (c == ':') return absl::InvalidArgumentError("user name contains ':'");
  }
  return absl::OkStatus();
}

absl::StatusOr<PasswordFile> PasswordFile::Parse(std::string_view text) {
  PasswordFile file;
  absl::flat_hash_map<std::string, size_t> line_of_user;
  size_t line_number = 0;
  for (size_t position = 0; position < text.size();) {
    std::string_view line = NextLine(text, &position);
    ++line_number;
    if (IsCommentOrNotAUser(line)) continue;
    size_t colon = line.find(':');
    std::string_view user = TrimBlanks(line.substr(0, colon));
    std::string_view field = TrimBlanks(line.substr(colon + 1));
    if (absl::Status valid = ValidatePasswordFileUser(user); !valid.ok()) {
      return LineError(line_number, valid.message());
    }
    auto [first, inserted] = line_of_user.try_emplace(AbslView(user), line_number);
    if (!inserted) {
      return LineError(line_number, absl::StrCat("user '", AbslView(user), "' is listed again (first on line ",
                                                 first->second, ")"));
    }
    absl::StatusOr<PasswordHash> hash = PasswordHash::Parse(field);
    if (!hash.ok()) return LineError(line_number, absl::StrCat("user '", AbslView(user), "': ", hash.status().message()));
    file.users_.emplace(AbslView(user), *std::move(hash));
  }
  file.decoy_ = MakeDecoy(file.users_);
  file.generation_ = next_generation.fetch_add(1, std::memory_order_relaxed);
  return file;
}

bool PasswordFile::Verify(std::string_view user, std::string_view password) const {
  auto entry = users_.find(AbslView(user));
  if (entry == users_.end()) {
    // Same work as for a known user; the decoy's digest is no password's, and the answer is no anyway.
    static_cast<void>(decoy_.Matches(password));
    return false;
  }
  return entry->second.Matches(password);
}

std::string HashPasswordLine(std::string_view user, std::string_view password, int iterations,
                             std::span<const uint8_t> salt) {
  PasswordHash hash;
  hash.scheme = PasswordScheme::kPbkdf2Sha512;
  hash.iterations = iterations;
  hash.salt.assign(salt.begin(), salt.end());
  hash.digest = ComputePasswordDigest(hash.scheme, iterations, salt, password);
  return absl::StrCat(AbslView(user), ":", hash.Format());
}

}  // namespace ringmq
