// Limits a shard applies at accept: --max_connect_rate, --max_connections, --max_connections_per_ip
// (the broker-wide counts live in BrokerShared, touched only when a connection is accepted or
// closed), and --memory_limit: process RSS, read every kMemoryCheckMs; above it new connections are
// closed at accept and the protocol holds publishers (net/mqtt/input_limits.cc).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_format.h"
#include "net/log.h"
#include "net/shard.h"

namespace ringmq {
namespace {

constexpr int64_t kMemoryCheckMs = 10;

// Resident set size of the process from /proc/self/statm (one pread, about 2 us): what an operator
// and the kernel's OOM killer see, whichever allocator is linked. 0 if it cannot be read.
uint64_t ProcessRssBytes() {
  static const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  static const uint64_t page_size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  char text[128];
  const ssize_t n = fd < 0 ? -1 : pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  char* end = nullptr;
  std::strtoull(text, &end, 10);  // total program size
  return std::strtoull(end, nullptr, 10) * page_size;
}

}  // namespace

Shard::Admission Shard::Admit(size_t listener_index, int fd, bool count_peer) {
  if (stopping_) return {};
  if (!shared_.connect_rates.empty() && !shared_.connect_rates[listener_index]->TryAccept(now_ms_)) {
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_connect_rate.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connections: --max_connect_rate=%d per second reached on %s",
                                  config_.max_connect_rate, config_.listen[listener_index].ToString()));
    return {};
  }
  if (shared_.open_connections.fetch_add(1) >= config_.max_connections) {
    shared_.open_connections.fetch_sub(1);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_max_connections.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connection: --max_connections=%d reached", config_.max_connections));
    return {};
  }
  Admission admission{.admitted = true};
  if (shared_.per_ip == nullptr || !count_peer) return admission;
  // A socket whose peer is gone already cannot be counted, and will be closed on its first receive.
  admission.counted_peer = PeerAddressOfSocket(fd);
  if (admission.counted_peer.has_value() && !shared_.per_ip->TryAdd(*admission.counted_peer)) {
    shared_.open_connections.fetch_sub(1);
    static std::atomic<int64_t> last_report_ms{std::numeric_limits<int64_t>::min() / 2};
    stats_.refused_per_ip.Add(1);
    ReportRefusal(last_report_ms, now_ms_,
                  absl::StrFormat("refusing connections: --max_connections_per_ip=%d reached by a client address",
                                  config_.max_connections_per_ip));
    return {};
  }
  return admission;
}

void Shard::ReleaseAdmission(const std::optional<PeerAddress>& counted_peer) {
  shared_.open_connections.fetch_sub(1);
  if (counted_peer.has_value() && shared_.per_ip != nullptr) shared_.per_ip->Remove(*counted_peer);
}

void Shard::CheckMemory() {
  next_memory_check_ms_ = now_ms_ + kMemoryCheckMs;
  protocol_.ObserveRss(ProcessRssBytes());
}

bool Shard::RefusedForMemory(int fd) {
  if (!protocol_.memory_over()) return false;
  stats_.memory_limit_refused.Add(1);
  close(fd);
  return true;
}

}  // namespace ringmq
