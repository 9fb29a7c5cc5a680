#include "net/transport/websocket_transform.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/http_upgrade.h"
#include "core/text.h"
#include "core/websocket_frame.h"

namespace ringmq {
namespace {

class WebSocketTransform final : public StreamTransform {
 public:
  explicit WebSocketTransform(const WebSocketOptions& options)
      : path_(options.path), allowed_origins_(options.allowed_origins), reader_(options.max_message_size) {}

  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    switch (state_) {
      case State::kAwaitingUpgrade:
        return ReceiveUpgrade(in, sinks);
      case State::kOpen:
        return ReceiveFrames(in, sinks);
      case State::kRefused:
      case State::kClosing:
      case State::kClosed:
        return absl::OkStatus();  // the stream is ending: what the peer still sends has no reader
    }
    return absl::OkStatus();
  }

  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    if (state_ != State::kOpen) return absl::FailedPreconditionError("websocket: send on a stream not open");
    if (in.empty()) return absl::OkStatus();
    AppendWsFrameHeader(WsOpcode::kBinary, in.size(), down);
    down.append(reinterpret_cast<const char*>(in.data()), in.size());
    return absl::OkStatus();
  }

  void Close(std::string& down) override {
    if (state_ != State::kOpen) return;
    AppendWsCloseFrame(kWsCloseNormal, down);
    state_ = State::kClosing;
  }

  bool established() const override { return state_ != State::kAwaitingUpgrade && state_ != State::kRefused; }
  bool peer_closed() const override { return peer_closed_; }
  std::string_view name() const override { return "ws"; }

 private:
  enum class State : uint8_t {
    kAwaitingUpgrade,
    kRefused,  // the upgrade was answered with an HTTP error
    kOpen,
    kClosing,  // our close frame is sent; nothing more goes out
    kClosed,   // the peer closed, or broke the protocol and got our close
  };

  absl::Status ReceiveUpgrade(std::span<const uint8_t> in, TransformSinks sinks) {
    const size_t scanned = head_.size();
    const size_t take = std::min(in.size(), kMaxUpgradeHeadBytes - head_.size());
    head_.append(reinterpret_cast<const char*>(in.data()), take);
    const std::optional<size_t> end = FindRequestHeadEnd(head_, scanned);
    if (!end.has_value() && !StartsLikeUpgradeRequest(head_)) {
      return RefuseUpgrade(AnswerWebSocketUpgrade(head_, UpgradeOptions()), sinks.down);
    }
    if (!end.has_value()) {
      if (head_.size() < kMaxUpgradeHeadBytes) return absl::OkStatus();
      return RefuseUpgrade(HeadTooLargeAnswer(), sinks.down);
    }
    UpgradeAnswer answer = AnswerWebSocketUpgrade(std::string_view(head_).substr(0, *end), UpgradeOptions());
    if (answer.status != UpgradeStatus::kAccepted) return RefuseUpgrade(std::move(answer), sinks.down);
    sinks.down += answer.response;
    state_ = State::kOpen;
    // A client may send its first frames without waiting for the 101; they came with the head.
    const std::string head = std::move(head_);
    head_ = std::string();
    const std::span<const uint8_t> early(reinterpret_cast<const uint8_t*>(head.data()) + *end, head.size() - *end);
    absl::Status status = ReceiveFrames(early, sinks);
    if (!status.ok()) return status;
    return ReceiveFrames(in.subspan(take), sinks);
  }

  WebSocketUpgradeOptions UpgradeOptions() const {
    return WebSocketUpgradeOptions{.path = path_, .allowed_origins = allowed_origins_};
  }

  absl::Status RefuseUpgrade(UpgradeAnswer answer, std::string& down) {
    down += answer.response;
    state_ = State::kRefused;
    head_ = std::string();
    return absl::InvalidArgumentError(
        absl::StrCat("websocket upgrade refused (", HttpStatusCodeOf(answer.status), "): ", answer.reason));
  }

  absl::Status ReceiveFrames(std::span<const uint8_t> in, TransformSinks sinks) {
    while (!in.empty() && state_ == State::kOpen) {
      const WebSocketFrameReader::Result result = reader_.Read(in, sinks.up);
      in = in.subspan(result.consumed);
      if (result.status == WsReadStatus::kControlFrame) {
        AnswerControlFrame(sinks.down);
      } else if (IsViolation(result.status)) {
        const uint16_t code = CloseCodeFor(result.status);
        AppendWsCloseFrame(code, sinks.down);
        state_ = State::kClosed;
        return absl::InvalidArgumentError(
            absl::StrCat("websocket: ", AbslView(WsReadStatusText(result.status)), " (sent close ", code, ")"));
      }
    }
    return absl::OkStatus();
  }

  void AnswerControlFrame(std::string& down) {
    switch (reader_.control_opcode()) {
      case WsOpcode::kPing:
        AppendWsFrame(WsOpcode::kPong, reader_.control_payload(), down);
        return;
      case WsOpcode::kClose: {
        // The reply echoes the peer's status code, or is empty when it gave none (RFC 6455 5.5.1).
        const uint16_t code = WsCloseStatusOf(reader_.control_payload());
        if (code != 0) {
          AppendWsCloseFrame(code, down);
        } else {
          AppendWsFrameHeader(WsOpcode::kClose, 0, down);
        }
        peer_closed_ = true;
        state_ = State::kClosed;
        return;
      }
      default:
        return;  // a pong: nothing to do (we send no pings; the MQTT keep-alive watches the peer)
    }
  }

  const std::string path_;
  const std::vector<std::string> allowed_origins_;
  State state_ = State::kAwaitingUpgrade;
  bool peer_closed_ = false;
  std::string head_;  // the upgrade request as far as it came; empty once upgraded
  WebSocketFrameReader reader_;
};

}  // namespace

std::unique_ptr<StreamTransform> NewWebSocketTransform(const WebSocketOptions& options) {
  return std::make_unique<WebSocketTransform>(options);
}

}  // namespace ringmq
