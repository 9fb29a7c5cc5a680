#include "net/persistence/retained_record.h"

#include <cstring>

namespace ringmq {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kFixedSize = 1 + 1 + 8 + 4;

template <class T>
void AppendRaw(T v, std::string& out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64): files do not move
  out.append(bytes, sizeof(T));
}

template <class T>
T ReadRaw(const char* in) {
  T v;
  std::memcpy(&v, in, sizeof(T));
  return v;
}

}  // namespace

bool IsDurableRetainedTopic(std::string_view topic) { return !topic.starts_with("$SYS"); }

std::string RetainedKey(std::string_view topic) {
  std::string key(kRetainedKeyPrefix);
  key.append(topic);
  return key;
}

std::string EncodeRetainedValue(const Message& message, const ClockPair& now) {
  std::string value;
  const std::string_view properties = message.passthrough_properties();
  value.reserve(kFixedSize + properties.size() + message.payload().size());
  value.push_back(static_cast<char>(kVersion));
  value.push_back(static_cast<char>(message.qos()));
  const int64_t deadline = message.expiry_deadline_ms();
  AppendRaw<int64_t>(deadline == 0 ? 0 : now.wall_ms + (deadline - now.monotonic_ms), value);
  AppendRaw<uint32_t>(static_cast<uint32_t>(properties.size()), value);
  value.append(properties);
  value.append(message.payload());
  return value;
}

std::optional<MessageRef> DecodeRetainedRecord(std::string_view key, std::string_view value, const ClockPair& now) {
  if (!key.starts_with(kRetainedKeyPrefix) || value.size() < kFixedSize) return std::nullopt;
  if (static_cast<uint8_t>(value[0]) != kVersion || static_cast<uint8_t>(value[1]) > 2) return std::nullopt;
  const int64_t expiry_wall_ms = ReadRaw<int64_t>(value.data() + 2);
  const uint32_t properties_size = ReadRaw<uint32_t>(value.data() + 10);
  if (properties_size > value.size() - kFixedSize) return std::nullopt;
  MessageParams params;
  params.topic = key.substr(kRetainedKeyPrefix.size());
  params.qos = static_cast<uint8_t>(value[1]);
  params.retain = true;
  params.passthrough_properties = value.substr(kFixedSize, properties_size);
  params.payload = value.substr(kFixedSize + properties_size);
  params.publisher_id = kRestoredPublisherId;
  if (expiry_wall_ms != 0) {
    if (expiry_wall_ms <= now.wall_ms) return std::nullopt;
    params.expiry_deadline_ms = now.monotonic_ms + (expiry_wall_ms - now.wall_ms);
  }
  if (params.topic.empty() || params.payload.empty()) return std::nullopt;
  return Message::Create(params);
}

}  // namespace ringmq
