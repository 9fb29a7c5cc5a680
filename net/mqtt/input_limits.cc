// Input limits on a shard, against hostile or runaway clients. Each is enforced by not reading
// (the connection's input pauses as for backpressure, see input_flow.cc), never by dropping, and
// each is counted in $SYS/broker/limits/...:
//  - --max_publish_rate / --max_publish_bytes_rate: token buckets per client (core/token_bucket.h)
//    charged per PUBLISH; a client in debt is not read until the debt is paid (the tick resumes it);
//  - --memory_limit: process RSS, read by the loop (net/shard_limits.cc) and given to ObserveRss;
//    above it a client that publishes is not read and new connections are closed at accept, until
//    RSS is below 90 % of the limit;
//  - --incomplete_packet_timeout (the loop's timer): a keep-alive 0 client holding an incomplete
//    packet is closed;
//  - --max_keep_alive for MQTT 3.1.1 (refused at CONNECT with 0x02, as mosquitto does).
#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "net/log.h"
#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {
namespace {

constexpr uint64_t kLowWaterPercent = 90;  // of --memory_limit: publishers are read again below it

}  // namespace

void MqttProtocol::ChargePublish(Connection* conn, uint32_t packet_bytes) {
  const bool rate_limited = config_.max_publish_rate > 0 || config_.max_publish_bytes_rate > 0;
  if (!rate_limited && !memory_over_) return;
  auto [it, fresh] = publish_limits_.try_emplace(conn);
  PublishLimits& limits = it->second;
  if (fresh) {
    // A burst of one second's worth: a client keeping to the rate on average is never paused.
    if (config_.max_publish_rate > 0) {
      limits.messages = TokenBucket(config_.max_publish_rate, config_.max_publish_rate, now_ms_);
    }
    if (config_.max_publish_bytes_rate > 0) {
      limits.bytes = TokenBucket(config_.max_publish_bytes_rate, config_.max_publish_bytes_rate, now_ms_);
    }
  }
  if (rate_limited) {
    if (config_.max_publish_rate > 0) limits.messages.Take(1, now_ms_);
    if (config_.max_publish_bytes_rate > 0) limits.bytes.Take(packet_bytes, now_ms_);
    // The client is read again only once out of debt, so each debt is one pause.
    if (limits.messages.WaitMs(now_ms_) > 0 || limits.bytes.WaitMs(now_ms_) > 0) stats_.publish_rate_pauses.Add(1);
  }
  if (memory_over_ && !limits.memory_held) {
    limits.memory_held = true;
    stats_.memory_limit_pauses.Add(1);
  }
}

bool MqttProtocol::HeldByLimits(const Connection* conn) const {
  if (publish_limits_.empty()) return false;
  auto it = publish_limits_.find(conn);
  if (it == publish_limits_.end()) return false;
  const PublishLimits& limits = it->second;
  return (memory_over_ && limits.memory_held) || limits.messages.WaitMs(now_ms_) > 0 ||
         limits.bytes.WaitMs(now_ms_) > 0;
}

void MqttProtocol::ForgetLimits(const Connection* conn) {
  if (!publish_limits_.empty()) publish_limits_.erase(conn);
}

void MqttProtocol::ObserveRss(uint64_t rss) {
  if (!memory_over_ && rss > config_.memory_limit) {
    memory_over_ = true;
    Log(LogLevel::kWarning, "shard %d: RSS %d MiB above --memory_limit=%d MiB: publishers wait, new connections refused",
        index_, rss >> 20, config_.memory_limit >> 20);
  } else if (memory_over_ && rss < config_.memory_limit / 100 * kLowWaterPercent) {
    memory_over_ = false;
    Log(LogLevel::kInfo, "shard %d: RSS %d MiB below %d %% of --memory_limit: reading publishers again", index_,
        rss >> 20, kLowWaterPercent);
    for (auto it = publish_limits_.begin(); it != publish_limits_.end();) {
      it->second.memory_held = false;
      // Entries made only to hold a publisher go; rate buckets stay with their connection.
      const bool rate_limited = config_.max_publish_rate > 0 || config_.max_publish_bytes_rate > 0;
      if (!rate_limited) {
        publish_limits_.erase(it++);
      } else {
        ++it;
      }
    }
    resume_check_ = true;
  }
}

bool MqttProtocol::RefusedKeepAlive(Connection* conn, const ConnectPacket& connect) {
  const uint16_t cap = config_.max_keep_alive;
  if (IsV5(connect.version) || cap == 65535 || (connect.keep_alive != 0 && connect.keep_alive <= cap)) return false;
  stats_.keep_alive_refused.Add(1);
  Log(LogLevel::kInfo, "shard %d: refusing MQTT 3.1.1 client %s: keep-alive %d s (0 or above --max_keep_alive=%d)",
      index_, connect.client_id, connect.keep_alive, cap);
  SendConnack(conn, ReasonCode::kClientIdentifierNotValid, false, {});
  Close(conn, "keep-alive 0 or above --max_keep_alive");
  return true;
}

}  // namespace ringmq
