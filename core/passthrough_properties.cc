#include "core/passthrough_properties.h"

#include "core/properties_codec.h"

namespace ringmq {

bool HasPassthroughProperties(const Properties& props) {
  return props.payload_format_indicator.has_value() || props.content_type.has_value() ||
         props.response_topic.has_value() || props.correlation_data.has_value() ||
         !props.user_properties.empty();
}

void AppendPassthroughProperties(const Properties& props, std::string& out) {
  if (!HasPassthroughProperties(props)) return;
  Properties forwarded;
  forwarded.payload_format_indicator = props.payload_format_indicator;
  forwarded.content_type = props.content_type;
  forwarded.response_topic = props.response_topic;
  forwarded.correlation_data = props.correlation_data;
  forwarded.user_properties = props.user_properties;
  AppendPropertiesBody(forwarded, out);
}

}  // namespace ringmq
