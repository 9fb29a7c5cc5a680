// WebSocket (RFC 6455) for ringmq-bench connections: the HTTP/1.1 upgrade with subprotocol `mqtt`,
// then MQTT bytes out as masked binary frames (one frame per flush, which may hold many packets) and
// the broker's frames in (binary and continuation frames carry MQTT bytes; pings are answered).
//
// Thread ownership: owned by the worker thread of its connection.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/bench/client_stream.h"

namespace ringmq::bench {

// XORs `data` with the 4-byte masking key (key[0] applies to data[0]), 8 bytes at a time.
void ApplyWebSocketMask(uint8_t* data, size_t size, uint32_t key_in_wire_order);

class WsClientStream final : public ClientStream {
 public:
  WsClientStream(std::string_view host_header, std::string_view path);

  absl::Status Start(std::string& wire_out) override;
  absl::Status Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) override;
  absl::Status Send(std::string_view app, std::string& wire_out) override;
  bool established() const override { return established_; }

 private:
  absl::Status ReadUpgradeResponse(std::string& app_in, std::string& wire_out);
  // Parses whole frames from `data`; returns the bytes used (the rest is an incomplete frame).
  absl::StatusOr<size_t> ParseFrames(std::span<const uint8_t> data, std::string& app_in, std::string& wire_out);
  void AppendFrame(uint8_t opcode, std::string_view payload, std::string& wire_out);
  uint32_t NextMask();

  std::string host_header_;
  std::string path_;
  std::string key_;  // Sec-WebSocket-Key, base64 of 16 random bytes
  bool established_ = false;
  std::string rx_;    // the upgrade response, then the start of a frame split across receives
  std::string held_;  // application bytes given before the upgrade finished
  uint64_t mask_state_;  // xorshift64*, seeded from getrandom()
};

}  // namespace ringmq::bench
