#include "core/message.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace ringmq {

MessageRef Message::Create(const MessageParams& params) {
  const size_t body = params.topic.size() + params.passthrough_properties.size() + params.payload.size();
  void* block = ::operator new(sizeof(Message) + body);
  auto* msg = new (block) Message();
  msg->topic_size_ = static_cast<uint32_t>(params.topic.size());
  msg->properties_size_ = static_cast<uint32_t>(params.passthrough_properties.size());
  msg->payload_size_ = static_cast<uint32_t>(params.payload.size());
  msg->expiry_deadline_ms_ = params.expiry_deadline_ms;
  msg->publisher_id_ = params.publisher_id;
  msg->publisher_shard_ = params.publisher_shard;
  msg->qos_ = params.qos;
  msg->retain_ = params.retain;
  char* out = reinterpret_cast<char*>(msg + 1);
  for (std::string_view part : {params.topic, params.passthrough_properties, params.payload}) {
    if (!part.empty()) std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return MessageRef(msg);
}

void Message::Release() const {
  // The sole owner frees without a locked decrement: nobody else holds a reference to copy, and
  // the acquire load orders the free after every other owner's release. A locked instruction
  // waits for this core's store buffer to drain (all the writes of the message just built), which
  // profiled at several percent of the broker's CPU on the one-subscriber path.
  if (refs_.load(std::memory_order_acquire) == 1 || refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~Message();
    ::operator delete(const_cast<Message*>(this));
  }
}

}  // namespace ringmq
