// Helpers that append MQTT wire primitives (big-endian integers, varints, length-prefixed strings)
// to a std::string. The caller reserves the exact size beforehand, so these never reallocate.
// Thread ownership: stateless inline functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringmq::wire {

inline void PutU8(uint8_t value, std::string& out) { out.push_back(static_cast<char>(value)); }

inline void PutU16(uint16_t value, std::string& out) {
  const char bytes[2] = {static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 2);
}

inline void PutU32(uint32_t value, std::string& out) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 4);
}

inline size_t VarintLength(uint32_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

inline size_t PutVarint(uint32_t value, std::string& out) {
  char bytes[4];
  size_t n = 0;
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    bytes[n++] = static_cast<char>(byte);
  } while (value != 0 && n < 4);
  out.append(bytes, n);
  return n;
}

// Two-byte length prefix then the bytes (UTF-8 string or Binary Data).
inline void PutLengthPrefixed(std::string_view bytes, std::string& out) {
  PutU16(static_cast<uint16_t>(bytes.size()), out);
  out.append(bytes);
}

inline size_t LengthPrefixedSize(std::string_view bytes) { return 2 + bytes.size(); }

}  // namespace ringmq::wire
