// Test helpers for the codec tests: build wire bytes by hand and split them into frame + body.
// Thread ownership: test-only values, single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame.h"
#include "core/packet.h"

namespace ringmq::testing {

// The protocol levels, short, for the codec tests that run one case under both.
inline constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
inline constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

// Appends wire primitives by hand (independent of core/wire_writer.h, so tests do not trust the code
// under test to build their expectations).
class Bytes {
 public:
  Bytes() = default;
  Bytes(std::initializer_list<uint8_t> raw) : data_(raw) {}

  Bytes& u8(uint8_t v) {
    data_.push_back(v);
    return *this;
  }
  Bytes& u16(uint16_t v) { return u8(v >> 8).u8(v & 0xFF); }
  Bytes& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
  Bytes& raw(std::string_view s) {
    data_.insert(data_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const Bytes& other) {
    data_.insert(data_.end(), other.data_.begin(), other.data_.end());
    return *this;
  }
  Bytes& str(std::string_view s) { return u16(static_cast<uint16_t>(s.size())).raw(s); }
  Bytes& varint(uint32_t v) {
    do {
      uint8_t b = v & 0x7F;
      v >>= 7;
      if (v) b |= 0x80;
      u8(b);
    } while (v);
    return *this;
  }
  // A property block: varint length then `props`.
  Bytes& props(const Bytes& props) { return varint(static_cast<uint32_t>(props.size())).raw(props); }

  size_t size() const { return data_.size(); }
  const std::vector<uint8_t>& vec() const { return data_; }
  std::string string() const { return std::string(data_.begin(), data_.end()); }

 private:
  std::vector<uint8_t> data_;
};

// Keeps `bytes` alive until the test program exits and returns a view of them. Decoded packets are
// views into their input, so tests may decode straight from a temporary and still read the fields.
inline std::span<const uint8_t> KeepAlive(std::vector<uint8_t> bytes) {
  static std::deque<std::vector<uint8_t>> storage;
  return storage.emplace_back(std::move(bytes));
}

// One whole packet: its bytes and the frame ParseFrame found in them.
struct WirePacket {
  std::span<const uint8_t> bytes;
  Frame frame;
  std::span<const uint8_t> body() const { return bytes.subspan(frame.header_size); }
};

// With RINGMQ_DUMP_PACKETS_TO=DIR set, every whole packet a codec test builds is also written to DIR
// (one file per distinct packet): tests/fuzz/make_corpus.py collects them as fuzzing seeds.
inline void DumpForFuzzCorpus(const std::vector<uint8_t>& bytes) {
  const char* dir = std::getenv("RINGMQ_DUMP_PACKETS_TO");
  if (dir == nullptr) return;
  const std::string text(bytes.begin(), bytes.end());
  const std::string path = std::string(dir) + "/" + std::to_string(std::hash<std::string>{}(text));
  std::ofstream(path, std::ios::binary) << text;
}

inline WirePacket ParseWhole(std::vector<uint8_t> bytes) {
  DumpForFuzzCorpus(bytes);
  WirePacket packet{KeepAlive(std::move(bytes)), {}};
  const FrameResult result = ParseFrame(packet.bytes, 1u << 28);
  EXPECT_EQ(result.status, FrameStatus::kOk);
  EXPECT_EQ(result.frame.total_size(), packet.bytes.size());
  packet.frame = result.frame;
  return packet;
}

inline WirePacket ParseWhole(const std::string& bytes) {
  return ParseWhole(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

// Fixed header `first_byte` + remaining length + `body`.
inline WirePacket Packet(uint8_t first_byte, const Bytes& body) {
  Bytes all;
  all.u8(first_byte).varint(static_cast<uint32_t>(body.size())).raw(body);
  return ParseWhole(all.vec());
}

// The same packet with its body cut to `length` bytes (remaining length adjusted): what a peer sends
// when a length field inside the body promises more than the packet holds.
inline WirePacket Truncated(const WirePacket& whole, size_t length) {
  Bytes body;
  body.raw(std::string_view(reinterpret_cast<const char*>(whole.body().data()), length));
  return Packet(whole.bytes[0], body);
}

}  // namespace ringmq::testing
