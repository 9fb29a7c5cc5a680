#include "core/scram_credentials.h"

#include <map>
#include <utility>

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/scram_crypto.h"
#include "core/text.h"

namespace ringmq {
namespace {

bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }

std::string_view StripWhitespace(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::optional<uint32_t> ParseCount(std::string_view text) {
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

absl::StatusOr<std::string> DecodeKey(std::string_view text, std::string_view what) {
  std::optional<std::string> key = DecodeBase64(text);
  if (!key.has_value()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is not base64"));
  if (key->size() != kSha256Size) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is not 32 bytes (SHA-256)"));
  }
  return *std::move(key);
}

// The value most often seen; ties go to the smaller one, so the choice does not depend on file order.
template <typename T>
T MostCommon(const std::map<T, int>& counts, T fallback) {
  T best = fallback;
  int best_count = 0;
  for (const auto& [value, count] : counts) {
    if (count > best_count) best = value, best_count = count;
  }
  return best;
}

absl::Status AtLine(size_t line_number, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", status.message()));
}

}  // namespace

ScramVerifier DeriveScramVerifier(std::string_view password, std::string_view salt, uint32_t iterations) {
  const std::string salted_password = Pbkdf2HmacSha256(password, salt, iterations);
  const std::string client_key = HmacSha256(salted_password, "Client Key");
  return ScramVerifier{
      .iterations = iterations,
      .salt = std::string(salt),
      .stored_key = Sha256(client_key),
      .server_key = HmacSha256(salted_password, "Server Key"),
  };
}

std::string FormatScramVerifier(const ScramVerifier& verifier) {
  return absl::StrCat(std::string(kScramMechanism), "$", verifier.iterations, ":", EncodeBase64(verifier.salt), "$",
                      EncodeBase64(verifier.stored_key), ":", EncodeBase64(verifier.server_key));
}

absl::StatusOr<ScramVerifier> ParseScramVerifier(std::string_view text) {
  const std::vector<std::string_view> parts = SplitText(text, '$');
  if (parts.size() != 3 || parts[0] != kScramMechanism) {
    return absl::InvalidArgumentError(
        "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  const std::vector<std::string_view> count_salt = SplitText(parts[1], ':');
  const std::vector<std::string_view> keys = SplitText(parts[2], ':');
  if (count_salt.size() != 2 || keys.size() != 2) {
    return absl::InvalidArgumentError(
        "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  ScramVerifier verifier;
  const std::optional<uint32_t> iterations = ParseCount(count_salt[0]);
  if (!iterations.has_value()) return absl::InvalidArgumentError("the iteration count is not a number");
  verifier.iterations = *iterations;
  if (verifier.iterations < kScramMinIterations || verifier.iterations > kScramMaxIterations) {
    return absl::InvalidArgumentError(absl::StrCat("iteration count ", verifier.iterations, " is outside ",
                                                   kScramMinIterations, "..", kScramMaxIterations,
                                                   " (RFC 7677 asks for at least 4096)"));
  }
  std::optional<std::string> salt = DecodeBase64(count_salt[1]);
  if (!salt.has_value() || salt->empty()) return absl::InvalidArgumentError("the salt is not base64");
  verifier.salt = *std::move(salt);
  absl::StatusOr<std::string> stored_key = DecodeKey(keys[0], "StoredKey");
  if (!stored_key.ok()) return stored_key.status();
  absl::StatusOr<std::string> server_key = DecodeKey(keys[1], "ServerKey");
  if (!server_key.ok()) return server_key.status();
  verifier.stored_key = *std::move(stored_key);
  verifier.server_key = *std::move(server_key);
  return verifier;
}

absl::Status CheckScramUserName(std::string_view name) {
  if (name.empty() || name.size() > 256) return absl::InvalidArgumentError("user name must have 1 to 256 characters");
  for (char c : name) {
    if (!IsPrintableAscii(c) || c == ' ' || c == ':') {
      return absl::InvalidArgumentError(
          "user name must be printable ASCII without spaces or ':' (SASLprep normalisation is not implemented)");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckScramPassword(std::string_view password) {
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  if (password.size() > 1024) return absl::InvalidArgumentError("password longer than 1024 characters");
  for (char c : password) {
    if (!IsPrintableAscii(c)) {
      return absl::InvalidArgumentError(
          "password must be printable ASCII (SASLprep normalisation of other characters is not implemented)");
    }
  }
  return absl::OkStatus();
}

ScramCredentials::ScramCredentials(UserMap users, std::string mock_secret)
    : users_(std::move(users)), mock_secret_(std::move(mock_secret)) {
  std::map<uint32_t, int> iteration_counts;
  std::map<size_t, int> salt_sizes;
  for (const auto& [user, verifier] : users_) {
    ++iteration_counts[verifier.iterations];
    ++salt_sizes[verifier.salt.size()];
  }
  mock_iterations_ = MostCommon(iteration_counts, kScramMinIterations);
  mock_salt_size_ = MostCommon(salt_sizes, size_t{16});
}

const ScramVerifier* ScramCredentials::Find(std::string_view user) const {
  auto it = users_.find(absl::string_view(user.data(), user.size()));
  return it == users_.end() ? nullptr : &it->second;
}

ScramVerifier ScramCredentials::MockVerifierFor(std::string_view user) const {
  // Labelled HMACs of the name: stable per name, unpredictable without the secret.
  std::string salt;
  for (int block = 0; salt.size() < mock_salt_size_; ++block) {
    salt += HmacSha256(mock_secret_, absl::StrCat("salt ", block, " ", std::string(user)));
  }
  salt.resize(mock_salt_size_);
  return ScramVerifier{
      .iterations = mock_iterations_,
      .salt = std::move(salt),
      .stored_key = HmacSha256(mock_secret_, absl::StrCat("stored-key ", std::string(user))),
      .server_key = HmacSha256(mock_secret_, absl::StrCat("server-key ", std::string(user))),
  };
}

std::string_view ScramLineUser(std::string_view line) {
  const std::string_view trimmed = StripWhitespace(line);
  if (trimmed.empty() || trimmed.front() == '#') return {};
  return trimmed.substr(0, trimmed.find(':'));
}

absl::StatusOr<ScramCredentials> ParseScramCredentials(std::string_view text) {
  ScramCredentials::UserMap users;
  std::string server_keys;
  size_t line_number = 0;
  for (std::string_view line : SplitText(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed = StripWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t colon = trimmed.find(':');
    if (colon == std::string_view::npos) {
      return AtLine(line_number, absl::InvalidArgumentError("expected user:SCRAM-SHA-256$..."));
    }
    const std::string_view user = trimmed.substr(0, colon);
    if (absl::Status status = CheckScramUserName(user); !status.ok()) return AtLine(line_number, status);
    absl::StatusOr<ScramVerifier> verifier = ParseScramVerifier(trimmed.substr(colon + 1));
    if (!verifier.ok()) return AtLine(line_number, verifier.status());
    if (users.contains(absl::string_view(user.data(), user.size()))) {
      return AtLine(line_number, absl::InvalidArgumentError(absl::StrCat("user ", std::string(user), " appears twice")));
    }
    server_keys += verifier->server_key;
    users.emplace(user, *std::move(verifier));
  }
  return ScramCredentials(std::move(users), HmacSha256("ringmq SCRAM mock verifiers", server_keys));
}

}  // namespace ringmq
