// Message fan-out assembly: one message created on the publisher's shard, then one PUBLISH encoded
// into each subscriber's output buffer (the per-subscriber part of delivery: fixed header, topic,
// packet id, payload copy). Reported per delivered message.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/encoder.h"
#include "core/message.h"
#include "core/packet.h"

namespace ringmq {
namespace {

void BM_FanoutAssembly(benchmark::State& state) {
  const size_t payload_size = static_cast<size_t>(state.range(0));
  const int subscribers = static_cast<int>(state.range(1));
  const uint8_t qos = static_cast<uint8_t>(state.range(2));
  const std::string payload(payload_size, 'x');
  std::vector<std::string> outputs(subscribers);
  for (std::string& out : outputs) out.reserve(64 * (payload_size + 64));
  uint16_t packet_id = 0;
  for (auto _ : state) {
    MessageParams params;
    params.topic = "fleet/eu-west/vehicle-000042/telemetry";
    params.payload = payload;
    params.qos = qos;
    MessageRef message = Message::Create(params);
    for (std::string& out : outputs) {
      PublishPacket packet;
      packet.qos = qos;
      packet.topic = message->topic();
      packet.payload = message->payload();
      if (qos > 0) packet.packet_id = ++packet_id == 0 ? ++packet_id : packet_id;
      EncodePublish(packet, ProtocolVersion::kV311, out);
      // Output is handed to the kernel every few dozen messages; keep the buffers warm, not growing.
      if (out.size() > 48 * (payload_size + 64)) out.clear();
    }
  }
  state.SetItemsProcessed(state.iterations() * subscribers);
  state.SetBytesProcessed(state.iterations() * subscribers * static_cast<int64_t>(payload_size));
}

BENCHMARK(BM_FanoutAssembly)
    ->ArgNames({"payload", "subscribers", "qos"})
    ->ArgsProduct({{16, 256, 4096}, {1, 10, 100, 1000}, {0, 1}});

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
