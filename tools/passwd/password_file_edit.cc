#include "tools/passwd/password_file_edit.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/password_file.h"
#include "core/password_hash.h"
#include "core/text.h"

namespace ringmq {
namespace {

struct UserLine {
  std::string_view user;
  std::string_view field;  // trimmed text after the first ':'
};

std::optional<UserLine> AsUserLine(std::string_view line) {
  size_t colon = line.find(':');
  if ((!line.empty() && line.front() == '#') || colon == std::string_view::npos) return std::nullopt;
  return UserLine{TrimBlanks(line.substr(0, colon)), TrimBlanks(line.substr(colon + 1))};
}

// Calls visit(line, with_break) for each line of `text`; with_break is the line including its '\n'
// (absent on a last line without one).
template <typename Visit>
void ForEachLine(std::string_view text, Visit visit) {
  for (size_t position = 0; position < text.size();) {
    size_t end = text.find('\n', position);
    size_t next = end == std::string_view::npos ? text.size() : end + 1;
    visit(text.substr(position, (end == std::string_view::npos ? text.size() : end) - position),
          text.substr(position, next - position));
    position = next;
  }
}

void AppendLine(std::string& out, std::string_view line) {
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  out.append(line).push_back('\n');
}

}  // namespace

std::string SetUserLine(std::string_view text, std::string_view user, std::string_view line) {
  std::string out;
  bool written = false;
  ForEachLine(text, [&](std::string_view current, std::string_view with_break) {
    std::optional<UserLine> parsed = AsUserLine(current);
    if (!parsed || parsed->user != user) {
      out.append(with_break);
    } else if (!written) {
      AppendLine(out, line);
      written = true;
    }
  });
  if (!written) AppendLine(out, line);
  return out;
}

absl::StatusOr<std::string> DeleteUser(std::string_view text, std::string_view user) {
  std::string out;
  bool found = false;
  ForEachLine(text, [&](std::string_view current, std::string_view with_break) {
    std::optional<UserLine> parsed = AsUserLine(current);
    if (parsed && parsed->user == user) {
      found = true;
    } else {
      out.append(with_break);
    }
  });
  if (!found) return absl::NotFoundError(absl::StrCat("user '", AbslView(user), "' is not in the file"));
  return out;
}

absl::StatusOr<std::string> HashPlainTextLines(std::string_view text, const LineHasher& hash) {
  std::string out;
  absl::Status error;
  size_t line_number = 0;
  ForEachLine(text, [&](std::string_view current, std::string_view with_break) {
    ++line_number;
    std::optional<UserLine> parsed = AsUserLine(current);
    if (!error.ok() || !parsed) {
      out.append(with_break);
      return;
    }
    if (absl::Status valid = ValidatePasswordFileUser(parsed->user); !valid.ok()) {
      error = absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", valid.message()));
    } else if (PasswordHash::Parse(parsed->field).ok()) {
      error = absl::FailedPreconditionError(
          absl::StrCat("line ", line_number, ": the password of '", AbslView(parsed->user),
                       "' is already hashed; -U is for plain-text files"));
    } else {
      AppendLine(out, hash(parsed->user, parsed->field));
    }
  });
  if (!error.ok()) return error;
  return out;
}

}  // namespace ringmq
