// libFuzzer target: a byte stream as an MQTT 3.1.1 connection receives it - framing, the decoder of
// every packet type, and re-encoding of what decodes (checks in tests/fuzz/mqtt_stream_check.h).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/mqtt_stream_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ringmq::fuzz::CheckMqttStream({data, size}, ringmq::ProtocolVersion::kV311);
  return 0;
}
