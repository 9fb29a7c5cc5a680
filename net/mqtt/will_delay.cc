// MQTT 5 Will Delay Interval on a shard (section 3.1.3.2.2): a will whose connection was lost waits out
// its delay in the session, and goes out when the delay ends or the session ends, whichever is first;
// the client reconnecting within the delay cancels it.
#include <algorithm>
#include <vector>

#include "net/mqtt/mqtt_protocol.h"

namespace ringmq {

void MqttProtocol::ScheduleWill(Session& session) {
  const std::unique_ptr<WillMessage>& will = session.will();
  if (will == nullptr) return;
  if (will->delay_interval == 0 || stopping_) {
    PublishWill(session);
    return;
  }
  const int64_t deadline_ms = now_ms_ + static_cast<int64_t>(will->delay_interval) * 1000;
  will_deadlines_ms_[&session] = deadline_ms;
  ScheduleSessionCheck(&session, deadline_ms);
}

void MqttProtocol::CancelDelayedWill(Session& session) {
  if (will_deadlines_ms_.erase(&session) > 0) session.will().reset();
}

void MqttProtocol::PublishDelayedWillNow(Session& session) {
  if (will_deadlines_ms_.erase(&session) > 0) PublishWill(session);
}

void MqttProtocol::PublishAllDelayedWills() {
  // The broker is stopping, which ends every session.
  std::vector<Session*> waiting;
  for (const auto& [session, deadline] : will_deadlines_ms_) waiting.push_back(session);
  for (Session* session : waiting) PublishDelayedWillNow(*session);
}

}  // namespace ringmq
