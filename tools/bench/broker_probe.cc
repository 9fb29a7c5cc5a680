#include "tools/bench/broker_probe.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ringmq::bench {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<double> ParseStatCpuSeconds(std::string_view stat, long clock_ticks_per_second) {
  // The command name (field 2) is in parentheses and may contain spaces: fields restart after ')'.
  // Debian's Abseil has its own string_view type.
  const absl::string_view text(stat.data(), stat.size());
  const size_t close = text.rfind(')');
  if (close == absl::string_view::npos) return absl::InvalidArgumentError("no ')' in /proc/PID/stat");
  std::vector<absl::string_view> fields = absl::StrSplit(text.substr(close + 1), ' ', absl::SkipEmpty());
  // After ')': state is field 3, so utime (field 14) and stime (field 15) are at 11 and 12.
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InvalidArgumentError("cannot parse utime/stime in /proc/PID/stat");
  }
  return static_cast<double>(utime + stime) / static_cast<double>(clock_ticks_per_second);
}

absl::StatusOr<int64_t> ParseStatusRssKb(std::string_view status) {
  for (absl::string_view line : absl::StrSplit(absl::string_view(status.data(), status.size()), '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t kb = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kb)) break;
    return kb;
  }
  return absl::InvalidArgumentError("no VmRSS in /proc/PID/status");
}

absl::StatusOr<ProcessSample> SampleProcess(int pid) {
  absl::StatusOr<std::string> stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return stat.status();
  absl::StatusOr<std::string> status = ReadWholeFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return status.status();
  absl::StatusOr<double> cpu = ParseStatCpuSeconds(*stat, sysconf(_SC_CLK_TCK));
  if (!cpu.ok()) return cpu.status();
  absl::StatusOr<int64_t> rss = ParseStatusRssKb(*status);
  if (!rss.ok()) return rss.status();
  return ProcessSample{*cpu, *rss};
}

}  // namespace ringmq::bench
