// libFuzzer target: AclFile::Parse (core/acl.h), the text of --acl_file, and the checks it compiles
// to: for a filter that is also a topic name, SUBSCRIBE's verdict must agree with the delivery check
// (kDenied: that topic is unreadable; kGranted: readable), for clients with and without a username.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/acl.h"
#include "core/topic.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Topics to ask about: a few a typical file speaks of, and every line of the input itself (a
// mutated rule's filter is then asked about as a topic).
std::vector<std::string_view> Probes(std::string_view text) {
  std::vector<std::string_view> probes = {"a/b", "devices/c1/telemetry", "users/u1/inbox", "$SYS/broker/x",
                                          "fleet/eu/c1/state", "c1", "u1/x"};
  size_t start = 0;
  while (start < text.size() && probes.size() < 64) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (const size_t space = line.rfind(' '); space != std::string_view::npos) line = line.substr(space + 1);
    probes.push_back(line);
    start = end + 1;
  }
  return probes;
}

void CheckClient(const ringmq::AclFile& acl, std::optional<std::string_view> username, std::string_view client_id,
                 const std::vector<std::string_view>& probes) {
  const ringmq::AclBinding binding = acl.Bind(username, client_id);
  for (std::string_view probe : probes) {
    if (!ringmq::IsValidTopicFilter(probe)) continue;
    const ringmq::SubscribeVerdict verdict = acl.ClassifySubscription(binding, probe);
    if (!ringmq::IsValidTopicName(probe)) continue;
    const bool readable = acl.MayReceive(binding, probe);
    (void)acl.MayPublish(binding, probe);
    if (verdict == ringmq::SubscribeVerdict::kDenied) FUZZ_CHECK(!readable);
    if (verdict == ringmq::SubscribeVerdict::kGranted) FUZZ_CHECK(readable);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ringmq::AclFile> acl = ringmq::AclFile::Parse(text);
  if (!acl.ok()) {
    FUZZ_CHECK(acl.status().message().find("line ") != absl::string_view::npos);
    return 0;
  }
  const std::vector<std::string_view> probes = Probes(text);
  CheckClient(*acl, std::string_view("u1"), "c1", probes);
  CheckClient(*acl, std::nullopt, "c1", probes);
  CheckClient(*acl, std::string_view("a+b"), "c/1", probes);  // names a pattern may never stand for
  return 0;
}
