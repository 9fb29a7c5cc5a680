// libFuzzer target: a byte stream as an MQTT 5.0 connection receives it - framing, the decoder of
// every packet type with its properties, and re-encoding of what decodes (checks in
// tests/fuzz/mqtt_stream_check.h).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/mqtt_stream_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ringmq::fuzz::CheckMqttStream({data, size}, ringmq::ProtocolVersion::kV5);
  return 0;
}
