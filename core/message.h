// An application message as it travels through the broker: created once on the publisher's shard,
// shared read-only by every shard and every subscriber it reaches, freed when the last reference goes.
//
// Topic, passthrough properties and payload live in one allocation right after the header, so a
// message costs one malloc and one cache-friendly block however many subscribers receive it.
//
// Thread ownership: immutable after Create(); any thread may read it and take or drop references
// (the count is atomic because references cross shards over the SPSC queues).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>

namespace ringmq {

class MessageRef;

struct MessageParams {
  std::string_view topic;
  std::string_view payload;
  uint8_t qos = 0;
  bool retain = false;
  // MQTT 5 properties forwarded untouched, already encoded (without the length prefix): payload
  // format, content type, response topic, correlation data, user properties. Per-subscriber
  // properties (topic alias, subscription identifiers) and the message expiry are not in here.
  std::string_view passthrough_properties;
  // Absolute expiry on the broker's monotonic millisecond clock; 0 = never expires.
  int64_t expiry_deadline_ms = 0;
  // Who published it: for MQTT 5 "no local" and for logs. 0 = the broker itself ($SYS, wills).
  uint64_t publisher_id = 0;
  // The shard whose client sent it, so a full subscriber queue on any shard can slow that client
  // down (net/mqtt/queue_backpressure.cc); -1 when no connection can be slowed (wills, $SYS).
  int16_t publisher_shard = -1;
};

class Message {
 public:
  static MessageRef Create(const MessageParams& params);

  std::string_view topic() const { return {data(), topic_size_}; }
  std::string_view passthrough_properties() const { return {data() + topic_size_, properties_size_}; }
  std::string_view payload() const { return {data() + topic_size_ + properties_size_, payload_size_}; }
  uint8_t qos() const { return qos_; }
  bool retain() const { return retain_; }
  int64_t expiry_deadline_ms() const { return expiry_deadline_ms_; }
  uint64_t publisher_id() const { return publisher_id_; }
  int16_t publisher_shard() const { return publisher_shard_; }
  bool ExpiredAt(int64_t now_ms) const { return expiry_deadline_ms_ != 0 && now_ms >= expiry_deadline_ms_; }

  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

 private:
  friend class MessageRef;
  Message() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  void AddRef() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Release() const;

  mutable std::atomic<uint32_t> refs_{1};
  uint32_t topic_size_ = 0;
  uint32_t properties_size_ = 0;
  uint32_t payload_size_ = 0;
  int64_t expiry_deadline_ms_ = 0;
  uint64_t publisher_id_ = 0;
  int16_t publisher_shard_ = -1;  // in the padding after the 8-byte fields: the header stays 40 bytes
  uint8_t qos_ = 0;
  bool retain_ = false;
};

// Owning, intrusive reference to a Message. Moving is free; copying is one atomic increment.
class MessageRef {
 public:
  MessageRef() = default;
  MessageRef(const MessageRef& other) : msg_(other.msg_) {
    if (msg_) msg_->AddRef();
  }
  MessageRef(MessageRef&& other) noexcept : msg_(std::exchange(other.msg_, nullptr)) {}
  MessageRef& operator=(MessageRef other) noexcept {
    std::swap(msg_, other.msg_);
    return *this;
  }
  ~MessageRef() {
    if (msg_) msg_->Release();
  }

  const Message* get() const { return msg_; }
  const Message* operator->() const { return msg_; }
  const Message& operator*() const { return *msg_; }
  explicit operator bool() const { return msg_ != nullptr; }

  // Hands the reference over as a raw pointer (for lock-free queues) and takes it back.
  const Message* Leak() { return std::exchange(msg_, nullptr); }
  static MessageRef Adopt(const Message* msg) { return MessageRef(msg); }

 private:
  friend class Message;
  explicit MessageRef(const Message* msg) : msg_(msg) {}
  const Message* msg_ = nullptr;
};

}  // namespace ringmq
