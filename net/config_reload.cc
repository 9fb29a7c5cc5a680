#include "net/config_reload.h"

#include <memory>
#include <string>
#include <vector>

#include "net/log.h"

namespace ringmq {

void ConfigReloader::Reload() {
  if (!source_.reread) return;
  absl::StatusOr<ReloadedConfig> next = source_.reread();
  if (!next.ok()) {
    Log(LogLevel::kError, "SIGHUP: configuration refused, the running one stays: %s", next.status().message());
    return;
  }
  if (apply_on_reread_) apply_on_reread_(next->config);
  int applied = 0;
  for (const auto& [name, value] : next->flags) {
    auto running = applied_.find(name);
    if (running == applied_.end() || running->second == value) continue;
    if (!IsReloadableFlag(name)) {
      // Not taken into applied_: every reload reports it until the broker restarts.
      Log(LogLevel::kWarning, "SIGHUP: --%s changed (%s -> %s): needs a restart, the running value stays", name,
          LogText(running->second), LogText(value));
      continue;
    }
    Log(LogLevel::kInfo, "SIGHUP: --%s: %s -> %s", name, LogText(running->second), LogText(value));
    running->second = value;
    ++applied;
  }
  if (applied == 0) return;
  const BrokerConfig& config = next->config;
  SetLogLevel(config.log_level);
  access_files_.password_file = config.access.password_file;
  access_files_.acl_file = config.access.acl_file;
  access_files_.allow_anonymous = config.access.allow_anonymous;
  const uint64_t generation = limits_.generation() + 1;
  limits_.Replace(std::make_shared<const RuntimeLimits>(RuntimeLimits::From(config, generation)));
  Log(LogLevel::kInfo, "SIGHUP: %d flags applied (limits generation %d)", applied, generation);
}

}  // namespace ringmq
