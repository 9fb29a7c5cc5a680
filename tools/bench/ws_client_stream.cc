#include "tools/bench/ws_client_stream.h"

#include <sys/random.h>

#include <array>
#include <cstring>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/http_upgrade.h"

namespace ringmq::bench {
namespace {

constexpr size_t kMaxUpgradeResponse = 8 * 1024;
constexpr uint64_t kMaxFramePayload = 268'435'460;  // the largest MQTT packet

enum Opcode : uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

uint64_t RandomSeed() {
  uint64_t seed = 0;
  while (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || seed == 0) {
  }
  return seed;
}

std::string Base64(const void* data, size_t size) {
  return absl::Base64Escape(absl::string_view(static_cast<const char*>(data), size));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()), absl::string_view(b.data(), b.size()));
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of header `name` (case-insensitive) in the response head, or "" if absent.
std::string_view HeaderValue(std::string_view head, std::string_view name) {
  while (!head.empty()) {
    const size_t end = std::min(head.find("\r\n"), head.size());
    const std::string_view line = head.substr(0, end);
    head.remove_prefix(std::min(end + 2, head.size()));
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (EqualsIgnoreCase(Trim(line.substr(0, colon)), name)) return Trim(line.substr(colon + 1));
  }
  return {};
}

}  // namespace

void ApplyWebSocketMask(uint8_t* data, size_t size, uint32_t key_in_wire_order) {
  // The key repeats every 4 bytes, so an 8-byte word of it masks 8 payload bytes per XOR.
  const uint64_t key64 = (uint64_t{key_in_wire_order} << 32) | key_in_wire_order;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key64;
    std::memcpy(data + i, &word, 8);
  }
  uint8_t key[4];
  std::memcpy(key, &key_in_wire_order, 4);
  for (; i < size; ++i) data[i] ^= key[i & 3];
}

WsClientStream::WsClientStream(std::string_view host_header, std::string_view path)
    : host_header_(host_header), path_(path), mask_state_(RandomSeed()) {
  std::array<char, 16> nonce{};
  uint64_t halves[2] = {NextMask() | uint64_t{NextMask()} << 32, NextMask() | uint64_t{NextMask()} << 32};
  std::memcpy(nonce.data(), halves, nonce.size());
  key_ = Base64(nonce.data(), nonce.size());
}

uint32_t WsClientStream::NextMask() {
  // RFC 6455 wants masks the application cannot predict (so a browser page cannot steer the bytes
  // on the wire); a xorshift64* seeded from the kernel per connection does that for a load
  // generator at a few cycles per frame.
  mask_state_ ^= mask_state_ >> 12;
  mask_state_ ^= mask_state_ << 25;
  mask_state_ ^= mask_state_ >> 27;
  return static_cast<uint32_t>((mask_state_ * 0x2545F4914F6CDD1DULL) >> 32);
}

absl::Status WsClientStream::Start(std::string& wire_out) {
  absl::StrAppend(&wire_out, "GET ", path_, " HTTP/1.1\r\nHost: ", host_header_,
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key_,
                  "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n");
  return absl::OkStatus();
}

absl::Status WsClientStream::Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) {
  if (!established_) {
    rx_.append(reinterpret_cast<const char*>(wire.data()), wire.size());
    return ReadUpgradeResponse(app_in, wire_out);
  }
  if (rx_.empty()) {
    absl::StatusOr<size_t> used = ParseFrames(wire, app_in, wire_out);
    if (!used.ok()) return used.status();
    rx_.assign(reinterpret_cast<const char*>(wire.data()) + *used, wire.size() - *used);
    return absl::OkStatus();
  }
  rx_.append(reinterpret_cast<const char*>(wire.data()), wire.size());
  absl::StatusOr<size_t> used =
      ParseFrames({reinterpret_cast<const uint8_t*>(rx_.data()), rx_.size()}, app_in, wire_out);
  if (!used.ok()) return used.status();
  rx_.erase(0, *used);
  return absl::OkStatus();
}

absl::Status WsClientStream::ReadUpgradeResponse(std::string& app_in, std::string& wire_out) {
  const size_t end = rx_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (rx_.size() > kMaxUpgradeResponse) return absl::UnavailableError("WebSocket upgrade response too long");
    return absl::OkStatus();
  }
  const std::string_view head(rx_.data(), end);
  const std::string_view status_line = head.substr(0, head.find("\r\n"));
  if (status_line.substr(0, 12) != "HTTP/1.1 101") {
    return absl::UnavailableError(absl::StrCat("WebSocket upgrade refused: ", std::string(status_line)));
  }
  if (HeaderValue(head, "Sec-WebSocket-Accept") != WebSocketAcceptFor(key_)) {
    return absl::UnavailableError("WebSocket upgrade: wrong Sec-WebSocket-Accept");
  }
  if (!EqualsIgnoreCase(HeaderValue(head, "Sec-WebSocket-Protocol"), "mqtt")) {
    return absl::UnavailableError("WebSocket upgrade: the broker did not accept subprotocol mqtt");
  }
  established_ = true;
  const std::string rest = rx_.substr(end + 4);
  rx_.clear();
  if (!held_.empty()) {
    AppendFrame(kBinary, held_, wire_out);
    held_.clear();
    held_.shrink_to_fit();
  }
  if (rest.empty()) return absl::OkStatus();
  return Receive({reinterpret_cast<const uint8_t*>(rest.data()), rest.size()}, app_in, wire_out);
}

absl::StatusOr<size_t> WsClientStream::ParseFrames(std::span<const uint8_t> data, std::string& app_in,
                                                   std::string& wire_out) {
  size_t offset = 0;
  while (data.size() - offset >= 2) {
    const uint8_t* frame = data.data() + offset;
    const size_t available = data.size() - offset;
    const uint8_t opcode = frame[0] & 0x0F;
    if ((frame[0] & 0x70) != 0) return absl::UnavailableError("WebSocket frame with reserved bits set");
    if (frame[1] & 0x80) return absl::UnavailableError("masked WebSocket frame from the broker");
    uint64_t length = frame[1] & 0x7F;
    size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (uint64_t{frame[2]} << 8) | frame[3];
      header = 4;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | frame[2 + i];
      header = 10;
    }
    if (length > kMaxFramePayload) return absl::UnavailableError("oversized WebSocket frame from the broker");
    if (available - header < length) break;
    const std::string_view payload(reinterpret_cast<const char*>(frame + header), length);
    switch (opcode) {
      case kContinuation:
      case kBinary:
        app_in.append(payload);
        break;
      case kPing:
        AppendFrame(kPong, payload, wire_out);
        break;
      case kPong:
        break;
      case kClose:
        return absl::UnavailableError("WebSocket close from the broker");
      default:
        return absl::UnavailableError(absl::StrCat("unexpected WebSocket opcode ", opcode, " from the broker"));
    }
    offset += header + length;
  }
  return offset;
}

absl::Status WsClientStream::Send(std::string_view app, std::string& wire_out) {
  if (!established_) {
    held_.append(app);
    return absl::OkStatus();
  }
  if (!app.empty()) AppendFrame(kBinary, app, wire_out);
  return absl::OkStatus();
}

void WsClientStream::AppendFrame(uint8_t opcode, std::string_view payload, std::string& wire_out) {
  uint8_t header[14];
  size_t header_size = 2;
  header[0] = 0x80 | opcode;  // FIN: every frame is a whole message
  const uint64_t length = payload.size();
  if (length < 126) {
    header[1] = 0x80 | static_cast<uint8_t>(length);
  } else if (length <= 0xFFFF) {
    header[1] = 0x80 | 126;
    header[2] = static_cast<uint8_t>(length >> 8);
    header[3] = static_cast<uint8_t>(length);
    header_size = 4;
  } else {
    header[1] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
    header_size = 10;
  }
  const uint32_t mask = NextMask();
  std::memcpy(header + header_size, &mask, 4);
  header_size += 4;
  wire_out.append(reinterpret_cast<const char*>(header), header_size);
  const size_t payload_at = wire_out.size();
  wire_out.append(payload);
  ApplyWebSocketMask(reinterpret_cast<uint8_t*>(wire_out.data()) + payload_at, payload.size(), mask);
}

}  // namespace ringmq::bench
