// libFuzzer target: IsValidMqttUtf8 (core/utf8.h) against a plain code-point-by-code-point reading of
// the rules, so the word-at-a-time fast path and every multi-byte boundary are compared.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/utf8.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// MQTT 5.0 section 1.5.4 / RFC 3629: shortest form, no surrogates, at most U+10FFFF, and no U+0000.
bool IsMqttUtf8ByDefinition(std::string_view text) {
  constexpr uint32_t kSmallestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code_point;
    if (lead < 0x80) {
      length = 1, code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point == 0) return false;
    if (length > 1 && code_point < kSmallestOfLength[length]) return false;
    if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = ringmq::IsValidMqttUtf8(text);
  FUZZ_CHECK(valid == IsMqttUtf8ByDefinition(text));
  // Two valid strings make a valid string, wherever the cut falls (the fast path restarts at it).
  if (size > 0) {
    const size_t cut = data[0] % (size + 1);
    const bool head = ringmq::IsValidMqttUtf8(text.substr(0, cut));
    const bool tail = ringmq::IsValidMqttUtf8(text.substr(cut));
    if (head && tail) FUZZ_CHECK(valid);
  }
  return 0;
}
