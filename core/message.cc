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
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~Message();
    ::operator delete(const_cast<Message*>(this));
  }
}

}  // namespace ringmq
