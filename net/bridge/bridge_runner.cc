#include "net/bridge/bridge_runner.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/log.h"
#include "net/transport/tls_transform.h"

namespace ringmq {

BridgeRunner::BridgeRunner(const BridgeConfig& config, std::shared_ptr<const TlsContext> tls, BridgeStats& stats,
                           const BridgeHost& host, std::vector<BridgeTopic> previous_topics)
    : config_(config),
      topics_(config.topics),
      previous_topics_(std::move(previous_topics)),
      tls_(std::move(tls)),
      stats_(stats),
      host_(host),
      retry_delay_ms_(config.retry_base_ms) {}

BridgeRunner::~BridgeRunner() {
  if (link_ != nullptr) link_->DetachObserver();
  if (fd_ >= 0) close(fd_);
}

std::string BridgeRunner::Where() const { return absl::StrCat(config_.host, ":", config_.port); }

void BridgeRunner::OnTick(int64_t now_ms) {
  now_ms_ = now_ms;
  switch (state_) {
    case State::kWaiting:
      if (now_ms >= next_attempt_ms_ && !host_.stopping()) StartConnect(now_ms);
      break;
    case State::kConnecting:
      // A SYN to a host that does not answer would wait for the kernel's minutes-long timeout.
      if (!cancel_sent_ && now_ms - connect_started_ms_ >= host_.connect_timeout_ms) {
        host_.ring->PrepCancel(this, Op::kConnect);
        cancel_sent_ = true;
      }
      break;
    case State::kStopped:
      break;
    case State::kLinked:
      if (was_up_ && now_ms >= next_ping_ms_) {
        next_ping_ms_ = now_ms + ping_interval_ms_;
        std::string* wire = host_.wire(conn_);
        if (wire == nullptr) break;
        const absl::Status status = link_->Ping(*wire);
        host_.flush(conn_);
        if (!status.ok()) host_.close(conn_, std::string(status.message()));
      }
      break;
  }
}

void BridgeRunner::StartConnect(int64_t now_ms) {
  if (attempts_++ > 0) stats_.Add(stats_.reconnects);
  // A name is looked up on the shard thread (blocking for the lookup): an IP address or an
  // /etc/hosts name keeps that instant.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(config_.port);
  if (const int error = getaddrinfo(config_.host.c_str(), port.c_str(), &hints, &found); error != 0) {
    ScheduleRetry(absl::StrCat("cannot resolve ", config_.host, ": ", gai_strerror(error)));
    return;
  }
  addresses_.clear();
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    Address address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    addresses_.push_back(address);
  }
  freeaddrinfo(found);
  next_address_ = 0;
  std::string why = "no address";
  if (!ConnectNext(now_ms, why)) ScheduleRetry(why);
}

bool BridgeRunner::ConnectNext(int64_t now_ms, std::string& why) {
  while (next_address_ < addresses_.size()) {
    const Address& address = addresses_[next_address_++];
    fd_ = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      why = absl::StrCat("socket: ", std::strerror(errno));
      continue;
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    host_.ring->PrepConnect(fd_, reinterpret_cast<const sockaddr*>(&address.storage), address.length, this);
    state_ = State::kConnecting;
    cancel_sent_ = false;
    connect_started_ms_ = now_ms;
    return true;
  }
  return false;
}

void BridgeRunner::Stop() {
  stop_requested_ = true;
  switch (state_) {
    case State::kWaiting:
      state_ = State::kStopped;
      break;
    case State::kConnecting:  // OnConnectDone finishes the stop
      if (!cancel_sent_) host_.ring->PrepCancel(this, Op::kConnect);
      cancel_sent_ = true;
      break;
    case State::kLinked:  // OnLinkGone finishes the stop
      host_.close(conn_, "bridge removed or changed by SIGHUP");
      break;
    case State::kStopped:
      break;
  }
}

void BridgeRunner::OnConnectDone(int32_t result, int64_t now_ms) {
  now_ms_ = now_ms;
  if (state_ != State::kConnecting) return;
  if (stop_requested_) {
    close(fd_);
    fd_ = -1;
    state_ = State::kStopped;
    Log(LogLevel::kInfo, "bridge %s: stopped (connect to %s abandoned)", config_.name, Where());
    return;
  }
  if (result < 0) {
    close(fd_);
    fd_ = -1;
    state_ = State::kWaiting;
    std::string why = result == -ECANCELED ? std::string("connect timed out") : absl::StrCat("connect: ", std::strerror(-result));
    if (!ConnectNext(now_ms, why)) ScheduleRetry(why);
    return;
  }
  std::unique_ptr<StreamTransform> tls;
  if (tls_ != nullptr) tls = NewTlsClientTransform(*tls_, config_.host, !config_.insecure);
  auto link = std::make_unique<BridgeLink>(config_, topics_, stats_, std::move(tls), this,
                                           previous_topics_.topics().empty() ? nullptr : &previous_topics_);
  std::string wire;
  if (absl::Status status = link->Start(wire); !status.ok()) {
    link->DetachObserver();
    close(fd_);
    fd_ = -1;
    state_ = State::kWaiting;
    ScheduleRetry(std::string(status.message()));
    return;
  }
  link_ = link.get();
  state_ = State::kLinked;
  was_up_ = false;
  const int fd = std::exchange(fd_, -1);
  conn_ = host_.adopt(fd, std::move(link), std::move(wire));  // a failure ends in OnLinkGone
}

void BridgeRunner::OnLinkUp(bool session_present, uint16_t keepalive_s) {
  was_up_ = true;
  retry_delay_ms_ = config_.retry_base_ms;
  // Keep alive 0 (an MQTT 5 remote may say so): pings at the configured interval all the same, as
  // they are how a dead remote is noticed.
  ping_interval_ms_ = static_cast<int64_t>(keepalive_s != 0 ? keepalive_s : config_.keepalive_s) * 1000;
  next_ping_ms_ = now_ms_ + ping_interval_ms_;
  if (!counted_up_) stats_.connected.fetch_add(1, std::memory_order_relaxed);
  counted_up_ = true;
  Log(LogLevel::kInfo, "bridge %s: connected to %s (MQTT %s%s, remote session %s)", config_.name, Where(),
      config_.mqtt5 ? "5.0" : "3.1.1", tls_ != nullptr ? ", TLS" : "", session_present ? "resumed" : "new");
}

void BridgeRunner::OnLinkGone(const std::string& why) {
  link_ = nullptr;
  conn_ = nullptr;
  state_ = State::kWaiting;
  if (counted_up_) stats_.connected.fetch_sub(1, std::memory_order_relaxed);
  counted_up_ = false;
  if (stop_requested_) {
    state_ = State::kStopped;
    Log(LogLevel::kInfo, "bridge %s: link to %s closed (%s)", config_.name, Where(), why.empty() ? "stopped" : why);
    return;
  }
  if (host_.stopping()) {
    Log(LogLevel::kInfo, "bridge %s: closed (shutting down)", config_.name);
    return;
  }
  ScheduleRetry(why.empty() ? std::string("connection closed") : why);
}

void BridgeRunner::ScheduleRetry(std::string_view why) {
  state_ = State::kWaiting;
  const uint32_t delay = retry_delay_ms_;
  next_attempt_ms_ = now_ms_ + delay;
  retry_delay_ms_ = std::min(config_.retry_cap_ms, retry_delay_ms_ * 2);
  Log(LogLevel::kWarning, "bridge %s: %s %s: %s; retry in %d ms", config_.name, was_up_ ? "lost" : "cannot connect to",
      Where(), why, delay);
  was_up_ = false;
}

}  // namespace ringmq
