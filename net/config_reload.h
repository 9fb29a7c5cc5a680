// SIGHUP: the broker's configuration is read again from its flags (the --flagfile, see
// net/flag_reread.h) and what may change at run time is applied without dropping a client: the
// limits (a new RuntimeLimits snapshot the shards pick up at their next tick), --log_level, the
// bridges (the --bridge_file, parsed with the flags; see ApplyOnEachReread), and the access files' names (the policy itself is re-read by the broker right after). A changed flag that
// cannot change at run time (listeners, shards, data_dir, ...) is logged once per reload as needing a
// restart and keeps its running value. A configuration that does not read or does not validate is
// refused whole, with the reason logged: the running one stays.
//
// Thread ownership: main thread only (the broker's signal loop).
#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "net/broker_config.h"
#include "net/flag_reread.h"
#include "net/runtime_limits.h"

namespace ringmq {

struct ReloadedConfig {
  BrokerConfig config;
  FlagValues flags;  // the broker's flags as text, to tell what changed
};
// Reads the configuration as start-up did, from the same command line and flag files.
using ConfigRereader = std::function<absl::StatusOr<ReloadedConfig>()>;

// How the broker was configured at start-up, and how to read that configuration again. An empty
// `reread` (e.g. a broker started from code) makes SIGHUP reload only the files it always did.
struct ConfigSource {
  FlagValues started_with;
  ConfigRereader reread;
};

class ConfigReloader {
 public:
  ConfigReloader(ConfigSource source, AccessFiles& access_files, RuntimeLimitsStore& limits)
      : source_(std::move(source)), applied_(source_.started_with), access_files_(access_files), limits_(limits) {}

  // Reads the flags again and applies the changes that can be applied (each logged).
  void Reload();
  // Also given every configuration that was read again, changed flags or not: what reads files of
  // its own (the bridge file, whose content may change under the same name) applies them here.
  void ApplyOnEachReread(std::function<void(const BrokerConfig&)> apply) { apply_on_reread_ = std::move(apply); }

 private:
  ConfigSource source_;
  FlagValues applied_;  // the values in force: reloadable flags as last applied, others as started
  AccessFiles& access_files_;
  RuntimeLimitsStore& limits_;
  std::function<void(const BrokerConfig&)> apply_on_reread_;
};

}  // namespace ringmq
