// AclFile::Parse: the text of a mosquitto ACL file to the compiled sections of core/acl_rules.h.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/acl.h"
#include "core/acl_rules.h"
#include "core/topic.h"
#include "core/utf8.h"

namespace ringmq {
namespace {

constexpr std::string_view kBlanks = " \t\r";

// Debian's Abseil has its own absl::string_view, which StrCat takes.
absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

// Splits off the first word; the remainder is trimmed.
std::pair<std::string_view, std::string_view> FirstWord(std::string_view line) {
  const size_t blank = line.find_first_of(kBlanks);
  if (blank == std::string_view::npos) return {line, {}};
  return {line.substr(0, blank), Trim(line.substr(blank))};
}

std::optional<uint8_t> AccessNamed(std::string_view word) {
  if (word == "read") return kAclRead;
  if (word == "write") return kAclWrite;
  if (word == "readwrite") return kAclRead | kAclWrite;
  if (word == "deny") return kAclDeny;
  return std::nullopt;
}

std::vector<AclRuleLevel> RuleLevels(std::string_view filter, bool is_pattern) {
  std::vector<AclRuleLevel> levels;
  size_t start = 0;
  while (true) {
    const size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(start, slash == std::string_view::npos ? slash : slash - start);
    using Kind = AclRuleLevel::Kind;
    if (level == "+") {
      levels.push_back({Kind::kPlus, {}});
    } else if (level == "#") {
      levels.push_back({Kind::kHash, {}});
    } else if (is_pattern && level == "%c") {
      levels.push_back({Kind::kClientId, {}});
    } else if (is_pattern && level == "%u") {
      levels.push_back({Kind::kUsername, {}});
    } else {
      levels.push_back({Kind::kLiteral, std::string(level)});
    }
    if (slash == std::string_view::npos) return levels;
    start = slash + 1;
  }
}

class Parser {
 public:
  absl::Status Line(std::string_view line) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') return absl::OkStatus();
    const auto [keyword, rest] = FirstWord(line);
    if (keyword == "user") return User(rest);
    if (keyword == "topic") return Rule(rest, /*is_pattern=*/false);
    if (keyword == "pattern") return Rule(rest, /*is_pattern=*/true);
    return Error(absl::StrCat("unknown keyword '", AbslView(keyword), "'"));
  }

  void Next() { ++line_number_; }
  std::shared_ptr<const CompiledAcl> Finish() {
    compiled_->anonymous.trie.Finish();
    compiled_->patterns.trie.Finish();
    for (auto& [name, section] : compiled_->users) section.trie.Finish();
    return std::move(compiled_);
  }

 private:
  absl::Status User(std::string_view name) {
    if (name.empty()) return Error("'user' needs a name");
    current_user_ = std::string(name);
    compiled_->users.try_emplace(*current_user_);  // a name may come back: its sections merge
    return absl::OkStatus();
  }

  absl::Status Rule(std::string_view rest, bool is_pattern) {
    const char* keyword = is_pattern ? "pattern" : "topic";
    AclRule rule{.access = kAclRead | kAclWrite};
    std::string_view filter = rest;
    const auto [first, after] = FirstWord(rest);
    if (const std::optional<uint8_t> access = AccessNamed(first)) {
      rule.access = *access;
      filter = after;
    }
    if (filter.empty()) return Error(absl::StrCat("'", keyword, "' needs a topic filter"));
    if (!IsValidTopicFilter(filter) || !IsValidMqttUtf8(filter)) {
      return Error(absl::StrCat("invalid topic filter '", AbslView(filter), "'"));
    }
    rule.levels = RuleLevels(filter, is_pattern);
    if (rule.levels.size() > kMaxAclFilterLevels) {
      return Error(absl::StrCat("topic filter with more than ", kMaxAclFilterLevels, " levels"));
    }
    Section(is_pattern).Add(std::move(rule));
    return absl::OkStatus();
  }

  AclSection& Section(bool is_pattern) {
    if (is_pattern) return compiled_->patterns;
    if (!current_user_) return compiled_->anonymous;
    return compiled_->users.find(*current_user_)->second;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_number_, ": ", AbslView(what)));
  }

  std::shared_ptr<CompiledAcl> compiled_ = std::make_shared<CompiledAcl>();
  std::optional<std::string> current_user_;
  int line_number_ = 1;
};

}  // namespace

absl::StatusOr<AclFile> AclFile::Parse(std::string_view text) {
  Parser parser;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (absl::Status status = parser.Line(text.substr(start, end - start)); !status.ok()) return status;
    parser.Next();
    start = end + 1;
  }
  return AclFile(parser.Finish());
}

}  // namespace ringmq
