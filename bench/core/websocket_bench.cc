// What reading a client's WebSocket frames costs per byte of MQTT (WebSocketFrameReader::Read: header
// parsing plus unmasking into the caller's buffer), against unmasking a byte at a time; and what
// framing one Send costs. Frames of 64 B (a small PUBLISH), 1 KiB and 16 KiB, 1 MiB of them per run.
//
//   build/bench/core/websocket_bench
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/websocket_frame.h"

namespace ringmq {
namespace {

constexpr size_t kStreamBytes = 1 << 20;
constexpr uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

std::vector<uint8_t> MaskedFrames(size_t payload_size) {
  std::vector<uint8_t> stream;
  for (size_t total = 0; total < kStreamBytes; total += payload_size) {
    stream.push_back(0x82);
    if (payload_size < 126) {
      stream.push_back(static_cast<uint8_t>(0x80 | payload_size));
    } else {
      stream.push_back(0xFE);
      stream.push_back(static_cast<uint8_t>(payload_size >> 8));
      stream.push_back(static_cast<uint8_t>(payload_size));
    }
    stream.insert(stream.end(), kMask, kMask + 4);
    for (size_t i = 0; i < payload_size; ++i) stream.push_back(static_cast<uint8_t>(i * 7) ^ kMask[i % 4]);
  }
  return stream;
}

void BM_ReadFrames(benchmark::State& state) {
  const std::vector<uint8_t> stream = MaskedFrames(static_cast<size_t>(state.range(0)));
  std::string up;
  up.reserve(kStreamBytes);
  for (auto _ : state) {
    WebSocketFrameReader reader(UINT64_MAX);
    up.clear();
    const WebSocketFrameReader::Result result = reader.Read(stream, up);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(up.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * up.size()));
}
BENCHMARK(BM_ReadFrames)->Arg(64)->Arg(1024)->Arg(16384);

// The plain loop the reader's word-at-a-time unmasking replaces.
void BM_UnmaskBytewise(benchmark::State& state) {
  const std::vector<uint8_t> masked(kStreamBytes, 0x5a);
  std::string up(kStreamBytes, '\0');
  for (auto _ : state) {
    for (size_t i = 0; i < masked.size(); ++i) up[i] = static_cast<char>(masked[i] ^ kMask[i & 3]);
    benchmark::DoNotOptimize(up.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kStreamBytes));
}
BENCHMARK(BM_UnmaskBytewise);

void BM_FrameSend(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'p');
  std::string down;
  down.reserve(payload.size() + 16);
  for (auto _ : state) {
    down.clear();
    AppendWsFrameHeader(WsOpcode::kBinary, payload.size(), down);
    down.append(payload);
    benchmark::DoNotOptimize(down.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}
BENCHMARK(BM_FrameSend)->Arg(64)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
