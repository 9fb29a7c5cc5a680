#include "core/utf8.h"

#include <cstdint>
#include <cstring>

namespace ringmq {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ull;
constexpr uint64_t kLowBits = 0x0101010101010101ull;

// Eight ASCII bytes none of which is NUL: the common case for topics, skipped a word at a time.
bool IsAsciiWordWithoutNul(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  const bool has_zero_byte = ((word - kLowBits) & ~word & kHighBits) != 0;
  return (word & kHighBits) == 0 && !has_zero_byte;
}

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the well-formed multi-byte sequence starting at p[0] (lead byte >= 0x80), or 0.
size_t MultiByteSequenceLength(const unsigned char* p, size_t available) {
  const unsigned char lead = p[0];
  size_t length;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, overlong C0/C1, or F5..FF
  }
  if (available < length) return 0;
  if (p[1] < second_min || p[1] > second_max) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(p[i])) return 0;
  }
  return length;
}

}  // namespace

bool IsValidMqttUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    if (i + 8 <= size && IsAsciiWordWithoutNul(p + i)) {
      i += 8;
      continue;
    }
    if (p[i] < 0x80) {
      if (p[i] == 0) return false;
      ++i;
      continue;
    }
    const size_t length = MultiByteSequenceLength(p + i, size - i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace ringmq
