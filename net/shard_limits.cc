// Limits on what clients may pile up on a shard: connections at accept (--max_connect_rate,
// --max_connections, --max_connections_per_ip) and offline sessions (--max_sessions,
// --max_session_expiry). The broker-wide counts live in BrokerShared and are touched only when a
// connection is accepted or closed and when a session goes offline, comes back or ends.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>

#include "absl/strings/str_format.h"
#include "net/log.h"
#include "net/shard.h"

namespace ringmq {
namespace {

constexpr uint32_t kSessionNeverExpires = std::numeric_limits<uint32_t>::max();  // MQTT 5.0 section 3.1.2.11.2

// One warning per kind of refusal every few seconds: a flood must not become a log flood.
constexpr int64_t kRefusalReportMs = 5000;

void ReportRefusal(std::atomic<int64_t>& last_report_ms, int64_t now_ms, std::string_view what) {
  int64_t last = last_report_ms.load(std::memory_order_relaxed);
  if (now_ms - last < kRefusalReportMs) return;
  if (!last_report_ms.compare_exchange_strong(last, now_ms)) return;  // another shard reports it
  Log(LogLevel::kWarning, "%s (counted in $SYS; further refusals not logged for %d s)", what,
      kRefusalReportMs / 1000);
}

}  // namespace

Shard::Admission Shard::Admit(size_t listener_index, int fd, bool count_peer) {
  if (stopping_) return {};
  if (limits_->max_connect_rate > 0 &&
      !shared_.connect_rates[listener_index]->TryAccept(now_ms_, limits_->max_connect_rate)) {
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_connect_rate.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connections: --max_connect_rate=%d per second reached on %s",
                                  limits_->max_connect_rate, config_.listen[listener_index].ToString()));
    return {};
  }
  if (shared_.open_connections.fetch_add(1) >= limits_->max_connections) {
    shared_.open_connections.fetch_sub(1);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_max_connections.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connection: --max_connections=%d reached", limits_->max_connections));
    return {};
  }
  Admission admission{.admitted = true};
  if (limits_->max_connections_per_ip == 0 || !count_peer) return admission;
  // A socket whose peer is gone already cannot be counted, and will be closed on its first receive.
  admission.counted_peer = PeerAddressOfSocket(fd);
  if (admission.counted_peer.has_value() && !shared_.per_ip->TryAdd(*admission.counted_peer, limits_->max_connections_per_ip)) {
    shared_.open_connections.fetch_sub(1);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_per_ip.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connections: --max_connections_per_ip=%d reached by a client address",
                                  limits_->max_connections_per_ip));
    return {};
  }
  return admission;
}

void Shard::ReleaseAdmission(const std::optional<PeerAddress>& counted_peer) {
  shared_.open_connections.fetch_sub(1);
  if (counted_peer.has_value() && shared_.per_ip != nullptr) shared_.per_ip->Remove(*counted_peer);
}

uint32_t Shard::CappedSessionExpiry(uint32_t requested) const {
  return std::min(requested, limits_->max_session_expiry_s);
}

bool Shard::KeepOfflineSession(Session* session) {
  const int64_t kept = shared_.offline_sessions.fetch_add(1, std::memory_order_relaxed);
  // A session being taken over comes back online at once: it is never refused for that moment.
  if (limits_->max_sessions > 0 && kept >= limits_->max_sessions && !taking_over_) {
    shared_.offline_sessions.fetch_sub(1, std::memory_order_relaxed);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.sessions_refused.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("ending session of %s at disconnect: --max_sessions=%d offline sessions kept",
                                  LogText(session->client_id()), limits_->max_sessions));
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

void Shard::ForgetOfflineSession(Session* session) {
  if (offline_expiry_ms_.erase(session) > 0) shared_.offline_sessions.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace ringmq
