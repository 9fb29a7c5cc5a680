// What an ACL of 100 rules and patterns costs per check on the publish and delivery paths
// (AclFile::MayPublish / MayReceive), and per SUBSCRIBE filter (ClassifySubscription).
//
// The file: 5 anonymous rules, 20 operator sections of 3 rules (a region each, a deny inside it, a
// `$SYS` grant) plus 2 admin rules, and 13 patterns with `%c`/`%u` (devices' own subtrees, a deny
// inside them, `$` patterns). Checks rotate over 1,024 devices' topics `fleet/<region>/<device>/...`
// so neither the branch predictor nor the cache sees one topic only.
//
//   build/bench/core/acl_bench
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/acl.h"
#include "core/acl_check_cache.h"

namespace ringmq {
namespace {

constexpr int kDevices = 1024;
const char* const kRegions[] = {"eu", "us", "ap", "sa"};

std::string Region(int i) { return kRegions[i % 4]; }
std::string DeviceId(int i) { return absl::StrCat("dev-", 10000 + i); }

std::string FleetAcl() {
  std::string text =
      "# anonymous\n"
      "topic read public/#\n"
      "topic read fleet/+/+/status\n"
      "topic deny fleet/+/+/secrets/#\n"
      "topic read $SYS/broker/uptime\n"
      "topic write public/feedback\n";
  for (int op = 0; op < 20; ++op) {
    absl::StrAppend(&text, "user op", op, "\n",
                    "topic readwrite fleet/", Region(op), "/#\n",
                    "topic deny fleet/", Region(op), "/+/secrets/#\n",
                    "topic read $SYS/broker/#\n");
  }
  absl::StrAppend(&text,
                  "user admin\n"
                  "topic readwrite #\n"
                  "topic readwrite $SYS/#\n"
                  "pattern readwrite fleet/+/%c/#\n"
                  "pattern deny fleet/+/%c/secrets/#\n"
                  "pattern deny fleet/+/%c/firmware/signing\n"
                  "pattern write fleet/+/%c/telemetry\n"
                  "pattern read fleet/+/%c/commands/+\n"
                  "pattern read fleet/broadcast/#\n"
                  "pattern read users/%u/inbox/#\n"
                  "pattern write users/%u/outbox/%c\n"
                  "pattern read $SYS/clients/%c/#\n"
                  "pattern write $devices/%c/state\n"
                  "pattern deny fleet/+/%c/debug\n"
                  "pattern read config/%u/%c\n"
                  "pattern readwrite shared/%u/#\n");
  return text;
}

struct Fleet {
  Fleet() : acl(*AclFile::Parse(FleetAcl())) {
    for (int i = 0; i < kDevices; ++i) {
      ids.push_back(DeviceId(i));
      usernames.push_back(ids.back());
    }
    for (int i = 0; i < kDevices; ++i) {
      devices.push_back(acl.Bind(usernames[i], ids[i]));
      own_topics.push_back(absl::StrCat("fleet/", Region(i), "/", ids[i], "/telemetry"));
      other_topics.push_back(absl::StrCat("fleet/", Region(i + 1), "/", ids[(i + 7) % kDevices], "/telemetry"));
    }
    operator_binding = acl.Bind("op4", "console-4");  // region eu
  }
  AclFile acl;
  std::vector<std::string> ids;
  std::vector<std::string> usernames;
  std::vector<AclBinding> devices;
  std::vector<std::string> own_topics;    // allowed to its device
  std::vector<std::string> other_topics;  // another device's: refused
  AclBinding operator_binding;
};

const Fleet& TheFleet() {
  static const Fleet* fleet = new Fleet();
  return *fleet;
}

// A device publishes its own telemetry (granted by `fleet/+/%c/#`, deny patterns looked at).
void BM_MayPublishHit(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += fleet.acl.MayPublish(fleet.devices[i], fleet.own_topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  if (allowed != state.iterations()) state.SkipWithError("a device was refused its own topic");
}
BENCHMARK(BM_MayPublishHit);

// A device publishes into another device's subtree: refused after the whole walk.
void BM_MayPublishMiss(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += fleet.acl.MayPublish(fleet.devices[i], fleet.other_topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  if (allowed != 0) state.SkipWithError("a device may publish to another's topic");
}
BENCHMARK(BM_MayPublishMiss);

// A delivery to a device of its own command topic (read grant of a pattern).
void BM_MayReceiveHit(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  std::vector<std::string> topics;
  for (int i = 0; i < kDevices; ++i) topics.push_back(absl::StrCat("fleet/", Region(i), "/", fleet.ids[i], "/commands/reboot"));
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += fleet.acl.MayReceive(fleet.devices[i], topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  if (allowed != state.iterations()) state.SkipWithError("a device may not read its commands");
}
BENCHMARK(BM_MayReceiveHit);

// An operator of region eu receives every device's telemetry: a quarter granted by its section, the
// rest refused (other regions), each also walked through the patterns.
void BM_MayReceiveOperatorMixed(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += fleet.acl.MayReceive(fleet.operator_binding, fleet.own_topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  state.counters["allowed_share"] = static_cast<double>(allowed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_MayReceiveOperatorMixed);

// A device's `$` topic (only `$` rules looked at).
void BM_MayPublishDollar(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  std::vector<std::string> topics;
  for (int i = 0; i < kDevices; ++i) topics.push_back(absl::StrCat("$devices/", fleet.ids[i], "/state"));
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += fleet.acl.MayPublish(fleet.devices[i], topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  if (allowed != state.iterations()) state.SkipWithError("a device may not publish its $ state");
}
BENCHMARK(BM_MayPublishDollar);

// MayPublishHit through a shard's AclCheckCache of arg slots: 4,096 hold all 1,024 devices' topics
// (every check after the first round hits), 64 hold few (nearly every check misses, which shows
// what the cache adds to a miss).
void BM_CachedMayPublishHit(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  AclCheckCache cache(static_cast<size_t>(state.range(0)));
  int i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += cache.MayPublish(fleet.acl, fleet.devices[i], fleet.own_topics[i]);
    i = (i + 1) & (kDevices - 1);
  }
  if (allowed != state.iterations()) state.SkipWithError("a device was refused its own topic");
  state.counters["hit_share"] = static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
}
BENCHMARK(BM_CachedMayPublishHit)->Arg(4096)->Arg(64);

void BM_Bind(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fleet.acl.Bind(fleet.usernames[i], fleet.ids[i]));
    i = (i + 1) & (kDevices - 1);
  }
}
BENCHMARK(BM_Bind);

// One SUBSCRIBE filter per iteration; arg 0: granted, 1: check each message, 2: denied.
void BM_ClassifySubscription(benchmark::State& state) {
  const Fleet& fleet = TheFleet();
  const int kind = static_cast<int>(state.range(0));
  const SubscribeVerdict expected[] = {SubscribeVerdict::kGranted, SubscribeVerdict::kCheckEachMessage,
                                       SubscribeVerdict::kDenied};
  std::vector<std::string> filters;
  for (int i = 0; i < kDevices; ++i) {
    const std::string region = Region(i);
    const std::string& id = fleet.ids[i];
    filters.push_back(kind == 0   ? absl::StrCat("fleet/", region, "/", id, "/commands/+")
                      : kind == 1 ? absl::StrCat("fleet/+/", id, "/#")
                                  : absl::StrCat("fleet/", region, "/", fleet.ids[(i + 1) % kDevices], "/#"));
  }
  int i = 0;
  int64_t wrong = 0;
  for (auto _ : state) {
    wrong += fleet.acl.ClassifySubscription(fleet.devices[i], filters[i]) != expected[kind];
    i = (i + 1) & (kDevices - 1);
  }
  if (wrong != 0) state.SkipWithError("unexpected verdict");
}
BENCHMARK(BM_ClassifySubscription)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
