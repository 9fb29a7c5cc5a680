#include "tools/scram_passwd/scram_passwd_file.h"

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

// The lines of `text` without their '\n' (a final newline does not start an empty line).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

absl::Status CheckParses(std::string_view text) {
  if (absl::StatusOr<ScramCredentials> parsed = ParseScramCredentials(text); !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the file does not parse: ", parsed.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SetScramUser(std::string_view text, std::string_view user, const ScramVerifier& verifier) {
  if (absl::Status status = CheckScramUserName(user); !status.ok()) return status;
  if (absl::Status status = CheckParses(text); !status.ok()) return status;
  const std::string new_line = absl::StrCat(std::string(user), ":", FormatScramVerifier(verifier));
  std::string out;
  bool replaced = false;
  for (std::string_view line : Lines(text)) {
    if (ScramLineUser(line) == user) {
      absl::StrAppend(&out, new_line, "\n");
      replaced = true;
    } else {
      absl::StrAppend(&out, std::string(line), "\n");
    }
  }
  if (!replaced) absl::StrAppend(&out, new_line, "\n");
  return out;
}

absl::StatusOr<std::string> DeleteScramUser(std::string_view text, std::string_view user) {
  if (absl::Status status = CheckParses(text); !status.ok()) return status;
  std::string out;
  bool found = false;
  for (std::string_view line : Lines(text)) {
    if (ScramLineUser(line) == user) {
      found = true;
    } else {
      absl::StrAppend(&out, std::string(line), "\n");
    }
  }
  if (!found) return absl::NotFoundError(absl::StrCat("user ", std::string(user), " not found"));
  return out;
}

}  // namespace ringmq
