#include "net/flag_reread.h"

#include <fstream>
#include <optional>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ringmq {
namespace {

// A flag named on a command line, and whether `--noNAME` turned a bool flag off.
struct NamedFlag {
  absl::CommandLineFlag* flag = nullptr;
  bool negated = false;
};

NamedFlag FindNamedFlag(absl::string_view name, bool has_value) {
  if (absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name)) return {flag, false};
  if (!absl::StartsWith(name, "no") || has_value) return {};
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name.substr(2));
  if (flag == nullptr || !flag->IsOfType<bool>()) return {};
  return {flag, true};
}

// Applies arguments to the flags defined in one file; other flags' arguments are skipped (Abseil's
// own, such as --help, act at start-up only).
class FlagApplier {
 public:
  explicit FlagApplier(absl::string_view defined_in) : defined_in_(defined_in) {}

  // `where` names the arguments' origin in errors ("command line" or "FILE:LINE").
  absl::Status ApplyArgs(const std::vector<std::string>& args, const std::vector<std::string>& where, int depth) {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--") break;
      if (!absl::StartsWith(args[i], "-")) continue;  // positional: the start-up parse saw it too
      if (absl::Status status = ApplyArg(args, where, i, depth); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

 private:
  // Applies args[i]; advances i past its value when that is the next argument (--name value).
  absl::Status ApplyArg(const std::vector<std::string>& args, const std::vector<std::string>& where, size_t& i,
                        int depth) {
    const std::string origin = where[i];
    absl::string_view name = absl::StripPrefix(absl::StripPrefix(args[i], "-"), "-");
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != absl::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    // Read here: Abseil's own --flagfile is registered only where its parse.cc is linked.
    const bool is_flagfile = name == "flagfile";
    const NamedFlag named = is_flagfile ? NamedFlag{} : FindNamedFlag(name, value.has_value());
    if (!is_flagfile && named.flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ": unknown flag --", name));
    }
    if (named.negated) {
      value = "false";
    } else if (!value.has_value() && !is_flagfile && named.flag->IsOfType<bool>()) {
      value = "true";
    } else if (!value.has_value()) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(origin, ": --", name, " needs a value"));
      value = args[++i];
    }
    if (is_flagfile) return ApplyFiles(*value, depth);
    return Apply(*named.flag, *value, origin);
  }

  absl::Status ApplyFiles(const std::string& list, int depth) {
    for (absl::string_view file : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
      if (absl::Status status = ApplyFile(std::string(file), depth + 1); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status Apply(absl::CommandLineFlag& flag, const std::string& value, const std::string& where) {
    if (flag.Filename() != defined_in_) return absl::OkStatus();
    std::string error;
    if (!flag.ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": --", flag.Name(), "=", value, ": ", error));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyFile(const std::string& path, int depth) {
    if (depth > kMaxFlagfileDepth) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": --flagfile nested more than ", kMaxFlagfileDepth, " deep"));
    }
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    std::vector<std::string> args;
    std::vector<std::string> where;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      const absl::string_view text = absl::StripAsciiWhitespace(line);
      if (text.empty() || text.front() == '#') continue;
      if (!absl::StartsWith(text, "-")) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": not a flag: ", text));
      }
      args.emplace_back(text);
      where.push_back(absl::StrCat(path, ":", number));
    }
    if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
    return ApplyArgs(args, where, depth);
  }

  const absl::string_view defined_in_;
};

absl::Status ReadFromDefaultsAndArgs(const std::vector<std::string>& args, absl::string_view defined_in,
                                     absl::FunctionRef<void()> reset, absl::FunctionRef<absl::Status()> read) {
  reset();
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() != defined_in) continue;
    std::string error;
    if (!flag->ParseFrom(flag->DefaultValue(), &error)) {
      return absl::InternalError(absl::StrCat("--", name, ": its default does not parse: ", error));
    }
  }
  const std::vector<std::string> where(args.size(), "command line");
  FlagApplier applier(defined_in);
  if (absl::Status status = applier.ApplyArgs(args, where, 0); !status.ok()) return status;
  return read();
}

}  // namespace

FlagValues CurrentFlagValues(absl::string_view defined_in) {
  FlagValues values;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() == defined_in) values.emplace(std::string(name), flag->CurrentValue());
  }
  return values;
}

absl::Status WithFlagsReread(const std::vector<std::string>& args, absl::string_view defined_in,
                             absl::FunctionRef<void()> reset, absl::FunctionRef<absl::Status()> read) {
  // Saved and restored as text rather than with absl::FlagSaver, which logs a line per flag restored.
  const FlagValues saved = CurrentFlagValues(defined_in);
  absl::Status status = ReadFromDefaultsAndArgs(args, defined_in, reset, read);
  reset();
  for (const auto& [name, value] : saved) {
    std::string error;
    if (!absl::FindCommandLineFlag(name)->ParseFrom(value, &error) && status.ok()) {
      status = absl::InternalError(absl::StrCat("--", name, ": its value does not parse back: ", error));
    }
  }
  return status;
}

}  // namespace ringmq
