// Micro-benchmarks of the PUBLISH hot path: ParseFrame, DecodePublish and EncodePublish for
// 16 B, 256 B and 4 KiB payloads, MQTT 3.1.1 and 5.0.
#include <benchmark/benchmark.h>

#include <string>

#include "core/decoder.h"
#include "core/encoder.h"
#include "core/frame.h"

namespace ringmq {
namespace {

constexpr std::string_view kTopic = "building/3/floor/2/room/17/temperature";

PublishPacket SamplePublish(const std::string& payload, ProtocolVersion version) {
  PublishPacket p{.qos = 1, .topic = kTopic, .packet_id = 4242, .payload = payload};
  if (IsV5(version)) {
    p.properties.message_expiry_interval = 60;
    p.properties.content_type = "application/json";
  }
  return p;
}

std::string EncodedPublish(size_t payload_size, ProtocolVersion version) {
  const std::string payload(payload_size, 'x');
  std::string out;
  EncodePublish(SamplePublish(payload, version), version, out);
  return out;
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void BM_ParseFrame(benchmark::State& state) {
  const std::string wire = EncodedPublish(static_cast<size_t>(state.range(0)), ProtocolVersion::kV311);
  for (auto _ : state) {
    FrameResult r = ParseFrame(AsBytes(wire), 1u << 20);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseFrame)->Arg(16)->Arg(256)->Arg(4096);

template <ProtocolVersion kVersion>
void BM_DecodePublish(benchmark::State& state) {
  const std::string wire = EncodedPublish(static_cast<size_t>(state.range(0)), kVersion);
  const FrameResult frame = ParseFrame(AsBytes(wire), 1u << 20);
  const auto body = AsBytes(wire).subspan(frame.frame.header_size);
  for (auto _ : state) {
    auto decoded = DecodePublish(frame.frame, body, kVersion);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodePublish<ProtocolVersion::kV311>)->Name("BM_DecodePublish/v311")->Arg(16)->Arg(256)->Arg(4096);
BENCHMARK(BM_DecodePublish<ProtocolVersion::kV5>)->Name("BM_DecodePublish/v5")->Arg(16)->Arg(256)->Arg(4096);

template <ProtocolVersion kVersion>
void BM_EncodePublish(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  const PublishPacket packet = SamplePublish(payload, kVersion);
  std::string out;
  for (auto _ : state) {
    out.clear();  // keeps capacity, as a connection's write buffer does
    benchmark::DoNotOptimize(EncodePublish(packet, kVersion, out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_EncodePublish<ProtocolVersion::kV311>)->Name("BM_EncodePublish/v311")->Arg(16)->Arg(256)->Arg(4096);
BENCHMARK(BM_EncodePublish<ProtocolVersion::kV5>)->Name("BM_EncodePublish/v5")->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
