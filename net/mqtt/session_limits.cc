// Limits on the sessions a shard keeps: --max_sessions offline sessions (counted broker-wide in
// BrokerShared, touched only when a session goes offline, comes back or ends) and
// --max_session_expiry.
#include <algorithm>
#include <atomic>
#include <limits>

#include "absl/strings/str_format.h"
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr uint32_t kSessionNeverExpires = std::numeric_limits<uint32_t>::max();  // MQTT 5.0 section 3.1.2.11.2

}  // namespace

uint32_t MqttProtocol::CappedSessionExpiry(uint32_t requested) const {
  return std::min(requested, config_.max_session_expiry_s);
}

bool MqttProtocol::KeepOfflineSession(Session* session) {
  const int64_t kept = shared_.offline_sessions.fetch_add(1, std::memory_order_relaxed);
  // A session being taken over comes back online at once: it is never refused for that moment.
  if (config_.max_sessions > 0 && kept >= config_.max_sessions && !taking_over_) {
    shared_.offline_sessions.fetch_sub(1, std::memory_order_relaxed);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.sessions_refused.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("ending session of %s at disconnect: --max_sessions=%d offline sessions kept",
                                  LogText(session->client_id()), config_.max_sessions));
    return false;
  }
  const uint32_t expiry_s = session->expiry_interval();
  const int64_t deadline_ms = expiry_s == kSessionNeverExpires
                                  ? std::numeric_limits<int64_t>::max()
                                  : now_ms_ + static_cast<int64_t>(expiry_s) * 1000;
  offline_expiry_ms_[session] = deadline_ms;
  if (deadline_ms != std::numeric_limits<int64_t>::max()) ScheduleSessionCheck(session, deadline_ms);
  return true;
}

void MqttProtocol::ForgetOfflineSession(Session* session) {
  if (offline_expiry_ms_.erase(session) > 0) shared_.offline_sessions.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace ringmq
