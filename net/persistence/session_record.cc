#include "net/persistence/session_record.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

namespace ringmq {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kQueuedState = 0xff;  // an outbound message without a packet id yet

template <class T>
void AppendRaw(T v, std::string& out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64): files do not move
  out.append(bytes, sizeof(T));
}

void AppendBigEndian(uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads a value front to back; any read past the end makes it fail for good.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  template <class T>
  T Raw() {
    T v{};
    if (in_.size() < sizeof(T)) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return v;
  }
  std::string_view Bytes(size_t n) {
    if (in_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  std::string_view Rest() { return std::exchange(in_, {}); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

std::string KeyHead(char prefix, std::string_view client_id) {
  std::string key(1, prefix);
  key.append(client_id);
  key.push_back('\0');
  return key;
}

// What follows the client id's NUL in a key of `prefix` (nullopt: not such a key).
std::optional<std::string_view> KeyTail(std::string_view key, char prefix) {
  if (key.empty() || key[0] != prefix) return std::nullopt;
  const size_t nul = key.find('\0', 1);
  if (nul == std::string_view::npos) return std::nullopt;
  return key.substr(nul + 1);
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

int64_t WallDeadline(int64_t monotonic_deadline, const ClockPair& now) {
  return monotonic_deadline == 0 ? 0 : now.wall_ms + (monotonic_deadline - now.monotonic_ms);
}

int64_t MonotonicDeadline(int64_t wall_deadline, const ClockPair& now) {
  if (wall_deadline == 0) return 0;
  // Past already: 1 is a deadline every monotonic clock reading is beyond (0 means "never").
  return wall_deadline <= now.wall_ms ? 1 : now.monotonic_ms + (wall_deadline - now.wall_ms);
}

}  // namespace

std::string SessionRecordKey(std::string_view client_id) {
  std::string key(1, kSessionKeyPrefix);
  key.append(client_id);
  return key;
}

std::string SubscriptionRecordKey(std::string_view client_id, std::string_view share_group, std::string_view filter) {
  std::string key = KeyHead(kSubscriptionKeyPrefix, client_id);
  key.append(share_group);
  key.push_back('\0');
  key.append(filter);
  return key;
}

std::string OutboundRecordKey(std::string_view client_id, uint64_t seq) {
  std::string key = KeyHead(kOutboundKeyPrefix, client_id);
  AppendBigEndian(seq, 6, key);
  return key;
}

std::string InboundRecordKey(std::string_view client_id, uint16_t packet_id) {
  std::string key = KeyHead(kInboundKeyPrefix, client_id);
  AppendBigEndian(packet_id, 2, key);
  return key;
}

bool IsSessionRecordKey(std::string_view key) { return !ClientIdOfRecordKey(key).empty(); }

std::string_view ClientIdOfRecordKey(std::string_view key) {
  if (key.size() < 2) return {};
  if (key[0] == kSessionKeyPrefix) return key.substr(1);
  if (key[0] != kSubscriptionKeyPrefix && key[0] != kOutboundKeyPrefix && key[0] != kInboundKeyPrefix) return {};
  const size_t nul = key.find('\0', 1);
  return nul == std::string_view::npos ? std::string_view() : key.substr(1, nul - 1);
}

std::string EncodeSessionValue(const Session& session, ProtocolVersion version, int64_t offline_since_wall_ms) {
  std::string value;
  value.push_back(static_cast<char>(kVersion));
  value.push_back(static_cast<char>(version));
  AppendRaw<uint32_t>(session.expiry_interval(), value);
  AppendRaw<int64_t>(offline_since_wall_ms, value);
  const WillMessage* will = session.will_message();
  value.push_back(will != nullptr ? 1 : 0);
  if (will == nullptr) return value;
  value.push_back(static_cast<char>(will->qos));
  value.push_back(will->retain ? 1 : 0);
  AppendRaw<uint32_t>(will->message_expiry_interval, value);
  AppendRaw<uint32_t>(will->delay_interval, value);
  AppendRaw<uint32_t>(static_cast<uint32_t>(will->topic.size()), value);
  value.append(will->topic);
  AppendRaw<uint32_t>(static_cast<uint32_t>(will->passthrough_properties.size()), value);
  value.append(will->passthrough_properties);
  value.append(will->payload);
  return value;
}

std::optional<StoredSession> DecodeSessionValue(std::string_view value) {
  Reader in(value);
  if (in.Raw<uint8_t>() != kVersion) return std::nullopt;
  StoredSession stored;
  const uint8_t version = in.Raw<uint8_t>();
  if (version != static_cast<uint8_t>(ProtocolVersion::kV31) && version != static_cast<uint8_t>(ProtocolVersion::kV311) &&
      version != static_cast<uint8_t>(ProtocolVersion::kV5)) {
    return std::nullopt;
  }
  stored.version = static_cast<ProtocolVersion>(version);
  stored.expiry_interval = in.Raw<uint32_t>();
  stored.offline_since_wall_ms = in.Raw<int64_t>();
  const uint8_t has_will = in.Raw<uint8_t>();
  if (!in.ok() || has_will > 1) return std::nullopt;
  if (has_will == 0) return in.done() ? std::optional<StoredSession>(std::move(stored)) : std::nullopt;
  auto will = std::make_unique<WillMessage>();
  will->qos = in.Raw<uint8_t>();
  will->retain = in.Raw<uint8_t>() != 0;
  will->message_expiry_interval = in.Raw<uint32_t>();
  will->delay_interval = in.Raw<uint32_t>();
  will->topic.assign(in.Bytes(in.Raw<uint32_t>()));
  will->passthrough_properties.assign(in.Bytes(in.Raw<uint32_t>()));
  will->payload.assign(in.Rest());
  if (!in.ok() || will->qos > 2 || will->topic.empty()) return std::nullopt;
  stored.will = std::move(will);
  return stored;
}

std::string EncodeSubscriptionValue(const SessionSubscription& sub) {
  std::string value;
  value.push_back(static_cast<char>(kVersion));
  value.push_back(static_cast<char>(sub.options.max_qos));
  const uint8_t flags = (sub.options.no_local ? 1 : 0) | (sub.options.retain_as_published ? 2 : 0) |
                        static_cast<uint8_t>((sub.options.retain_handling & 3) << 2);
  value.push_back(static_cast<char>(flags));
  AppendRaw<uint32_t>(sub.subscription_id, value);
  return value;
}

std::optional<SessionSubscription> DecodeSubscriptionRecord(std::string_view key, std::string_view value) {
  const std::optional<std::string_view> tail = KeyTail(key, kSubscriptionKeyPrefix);
  if (!tail.has_value()) return std::nullopt;
  const size_t nul = tail->find('\0');
  if (nul == std::string_view::npos || nul + 1 >= tail->size()) return std::nullopt;
  Reader in(value);
  SessionSubscription sub;
  sub.share_group.assign(tail->substr(0, nul));
  sub.filter.assign(tail->substr(nul + 1));
  if (in.Raw<uint8_t>() != kVersion) return std::nullopt;
  sub.options.max_qos = in.Raw<uint8_t>();
  const uint8_t flags = in.Raw<uint8_t>();
  sub.options.no_local = (flags & 1) != 0;
  sub.options.retain_as_published = (flags & 2) != 0;
  sub.options.retain_handling = (flags >> 2) & 3;
  sub.subscription_id = in.Raw<uint32_t>();
  if (!in.ok() || !in.done() || sub.options.max_qos > 2 || (flags >> 4) != 0) return std::nullopt;
  return sub;
}

std::string EncodeOutboundValue(const Delivery& delivery, bool queued, InflightMessage::State state,
                                uint16_t packet_id, const ClockPair& now) {
  std::string value;
  const bool awaits_pubcomp = !queued && state == InflightMessage::State::kAwaitPubcomp;
  if (!awaits_pubcomp) {
    const Message& message = *delivery.message;
    value.reserve(48 + message.topic().size() + message.passthrough_properties().size() + message.payload().size());
  }
  value.push_back(static_cast<char>(kVersion));
  value.push_back(static_cast<char>(queued ? kQueuedState : static_cast<uint8_t>(state)));
  AppendRaw<uint16_t>(queued ? 0 : packet_id, value);
  if (awaits_pubcomp) return value;
  value.push_back(static_cast<char>(delivery.qos));
  value.push_back(delivery.retain ? 1 : 0);
  AppendRaw<uint16_t>(static_cast<uint16_t>(delivery.subscription_ids.size()), value);
  for (uint32_t id : delivery.subscription_ids) AppendRaw<uint32_t>(id, value);
  const std::string_view group = delivery.share_group ? std::string_view(*delivery.share_group) : std::string_view();
  AppendRaw<uint16_t>(static_cast<uint16_t>(group.size()), value);
  value.append(group);
  const Message& message = *delivery.message;
  value.push_back(static_cast<char>(message.qos()));
  value.push_back(message.retain() ? 1 : 0);
  AppendRaw<int64_t>(WallDeadline(message.expiry_deadline_ms(), now), value);
  AppendRaw<uint16_t>(static_cast<uint16_t>(message.topic().size()), value);
  value.append(message.topic());
  AppendRaw<uint32_t>(static_cast<uint32_t>(message.passthrough_properties().size()), value);
  value.append(message.passthrough_properties());
  value.append(message.payload());
  return value;
}

std::optional<StoredOutbound> DecodeOutboundRecord(std::string_view key, std::string_view value, const ClockPair& now) {
  const std::optional<std::string_view> tail = KeyTail(key, kOutboundKeyPrefix);
  if (!tail.has_value() || tail->size() != 6) return std::nullopt;
  StoredOutbound out;
  out.seq = ReadBigEndian(*tail);
  out.delivery.set_store_seq(out.seq);
  Reader in(value);
  if (in.Raw<uint8_t>() != kVersion) return std::nullopt;
  const uint8_t state = in.Raw<uint8_t>();
  out.packet_id = in.Raw<uint16_t>();
  if (!in.ok() || (state != kQueuedState && state > static_cast<uint8_t>(InflightMessage::State::kAwaitPubcomp))) {
    return std::nullopt;
  }
  out.queued = state == kQueuedState;
  if (!out.queued) {
    out.state = static_cast<InflightMessage::State>(state);
    if (out.packet_id == 0) return std::nullopt;
    if (out.state == InflightMessage::State::kAwaitPubcomp) {
      out.delivery.qos = 2;
      return in.done() ? std::optional<StoredOutbound>(std::move(out)) : std::nullopt;
    }
  }
  out.delivery.qos = in.Raw<uint8_t>();
  out.delivery.retain = in.Raw<uint8_t>() != 0;
  const uint16_t id_count = in.Raw<uint16_t>();
  for (uint16_t i = 0; i < id_count && in.ok(); ++i) out.delivery.subscription_ids.push_back(in.Raw<uint32_t>());
  const std::string_view group = in.Bytes(in.Raw<uint16_t>());
  if (!group.empty()) out.delivery.share_group = std::make_shared<const std::string>(group);
  MessageParams params;
  params.qos = in.Raw<uint8_t>();
  params.retain = in.Raw<uint8_t>() != 0;
  params.expiry_deadline_ms = MonotonicDeadline(in.Raw<int64_t>(), now);
  params.topic = in.Bytes(in.Raw<uint16_t>());
  params.passthrough_properties = in.Bytes(in.Raw<uint32_t>());
  params.payload = in.Rest();
  params.publisher_id = kRestoredPublisherId;
  if (!in.ok() || out.delivery.qos == 0 || out.delivery.qos > 2 || params.qos > 2 || params.topic.empty()) {
    return std::nullopt;
  }
  out.delivery.message = Message::Create(params);
  return out;
}

std::string EncodeInboundValue() { return std::string(1, static_cast<char>(kVersion)); }

std::optional<uint16_t> DecodeInboundRecord(std::string_view key, std::string_view value) {
  const std::optional<std::string_view> tail = KeyTail(key, kInboundKeyPrefix);
  if (!tail.has_value() || tail->size() != 2 || value != EncodeInboundValue()) return std::nullopt;
  const uint16_t packet_id = static_cast<uint16_t>(ReadBigEndian(*tail));
  if (packet_id == 0) return std::nullopt;
  return packet_id;
}

bool AddRestoredRecord(std::string_view key, std::string_view value, const ClockPair& now, RestoredSession& into) {
  switch (key.empty() ? '\0' : key[0]) {
    case kSessionKeyPrefix: {
      std::optional<StoredSession> session = DecodeSessionValue(value);
      if (!session.has_value()) return false;
      into.session = std::move(session);
      return true;
    }
    case kSubscriptionKeyPrefix: {
      std::optional<SessionSubscription> sub = DecodeSubscriptionRecord(key, value);
      if (!sub.has_value()) return false;
      into.subscriptions.push_back(*std::move(sub));
      return true;
    }
    case kOutboundKeyPrefix: {
      std::optional<StoredOutbound> outbound = DecodeOutboundRecord(key, value, now);
      if (!outbound.has_value()) return false;
      into.highest_seq = std::max(into.highest_seq, outbound->seq);
      into.outbound.push_back(*std::move(outbound));
      return true;
    }
    case kInboundKeyPrefix: {
      std::optional<uint16_t> packet_id = DecodeInboundRecord(key, value);
      if (!packet_id.has_value()) return false;
      into.inbound_qos2.push_back(*packet_id);
      return true;
    }
    default:
      return false;
  }
}

void MergeRestoredSession(RestoredSession&& from, RestoredSession& into) {
  if (!into.session.has_value()) into.session = std::move(from.session);
  // The same record in both logs has the same value: the moved copy is written before the original
  // is deleted. Duplicates are removed once sorted.
  std::move(from.subscriptions.begin(), from.subscriptions.end(), std::back_inserter(into.subscriptions));
  std::move(from.outbound.begin(), from.outbound.end(), std::back_inserter(into.outbound));
  into.inbound_qos2.insert(into.inbound_qos2.end(), from.inbound_qos2.begin(), from.inbound_qos2.end());
  into.highest_seq = std::max(into.highest_seq, from.highest_seq);
}

void SortRestoredOutbound(RestoredSession& session) {
  std::sort(session.outbound.begin(), session.outbound.end(),
            [](const StoredOutbound& a, const StoredOutbound& b) { return a.seq < b.seq; });
  session.outbound.erase(std::unique(session.outbound.begin(), session.outbound.end(),
                                     [](const StoredOutbound& a, const StoredOutbound& b) { return a.seq == b.seq; }),
                         session.outbound.end());
  std::sort(session.inbound_qos2.begin(), session.inbound_qos2.end());
  session.inbound_qos2.erase(std::unique(session.inbound_qos2.begin(), session.inbound_qos2.end()),
                             session.inbound_qos2.end());
}

}  // namespace ringmq
