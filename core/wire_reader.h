// WireReader: a bounds-checked cursor over the bytes of one MQTT packet body. Every read either
// returns a value and advances, or returns nullopt and leaves the cursor where it was, so a decoder
// can never read past the end of its body.
// Thread ownership: a plain value owned by the decoding thread; it only views the bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ringmq {

// Largest value a Variable Byte Integer can carry (4 bytes of 7 bits).
inline constexpr uint32_t kMaxVarint = 268'435'455;

class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }

  std::optional<uint8_t> ReadU8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }

  std::optional<uint16_t> ReadU16() {
    if (remaining() < 2) return std::nullopt;
    const uint16_t value = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return value;
  }

  std::optional<uint32_t> ReadU32() {
    if (remaining() < 4) return std::nullopt;
    const uint32_t value = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
                           (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return value;
  }

  // Variable Byte Integer (MQTT 5.0 section 1.5.5): at most 4 bytes. Overlong (non-canonical)
  // encodings are accepted, as most brokers do.
  std::optional<uint32_t> ReadVarint() {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) {
      if (pos_ + i >= data_.size()) return std::nullopt;
      const uint8_t byte = data_[pos_ + i];
      value |= uint32_t{byte & 0x7Fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        pos_ += i + 1;
        return value;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string_view> ReadBytes(size_t count) {
    if (remaining() < count) return std::nullopt;
    std::string_view bytes(reinterpret_cast<const char*>(data_.data()) + pos_, count);
    pos_ += count;
    return bytes;
  }

  // Two-byte length followed by that many bytes (Binary Data, and UTF-8 strings before validation).
  std::optional<std::string_view> ReadLengthPrefixed() {
    const size_t start = pos_;
    const std::optional<uint16_t> length = ReadU16();
    if (!length) return std::nullopt;
    std::optional<std::string_view> bytes = ReadBytes(*length);
    if (!bytes) pos_ = start;
    return bytes;
  }

  // Everything not read yet; the reader is then empty.
  std::string_view ReadRest() {
    std::string_view rest(reinterpret_cast<const char*>(data_.data()) + pos_, remaining());
    pos_ = data_.size();
    return rest;
  }

  // A reader over the next `count` bytes, which this reader skips.
  std::optional<WireReader> Split(size_t count) {
    if (remaining() < count) return std::nullopt;
    WireReader sub(data_.subspan(pos_, count));
    pos_ += count;
    return sub;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace ringmq
