#include "core/websocket_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ringmq {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kNoLimit = UINT64_MAX;

Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A client frame as RFC 6455 section 5.2 lays it out, masked with `mask`; the length is written in
// the shortest form unless `length_form` (7, 16 or 64 bits) says otherwise.
Bytes ClientFrame(uint8_t opcode, Bytes payload, bool fin = true, Bytes mask = {0x37, 0xfa, 0x21, 0x3d},
                  int length_form = 0) {
  Bytes frame = {static_cast<uint8_t>((fin ? 0x80 : 0) | opcode)};
  const uint64_t size = payload.size();
  if (length_form == 0) length_form = size < 126 ? 7 : size <= 0xFFFF ? 16 : 64;
  if (length_form == 7) {
    frame.push_back(static_cast<uint8_t>(0x80 | size));
  } else {
    frame.push_back(length_form == 16 ? 0xFE : 0xFF);
    for (int i = length_form / 8 - 1; i >= 0; --i) frame.push_back(static_cast<uint8_t>(size >> (8 * i)));
  }
  frame.insert(frame.end(), mask.begin(), mask.end());
  for (size_t i = 0; i < payload.size(); ++i) frame.push_back(payload[i] ^ mask[i % 4]);
  return frame;
}

struct Outcome {
  std::string data;
  std::vector<std::pair<WsOpcode, std::string>> controls;
  std::optional<WsReadStatus> violation;
};

// Feeds `chunks` in order, recording what the reader reports as a caller would act on it.
Outcome Drive(WebSocketFrameReader& reader, const std::vector<Bytes>& chunks) {
  Outcome outcome;
  for (const Bytes& chunk : chunks) {
    std::span<const uint8_t> in(chunk);
    while (!in.empty()) {
      const WebSocketFrameReader::Result result = reader.Read(in, outcome.data);
      EXPECT_LE(result.consumed, in.size());
      in = in.subspan(result.consumed);
      if (result.status == WsReadStatus::kControlFrame) {
        const auto payload = reader.control_payload();
        outcome.controls.emplace_back(reader.control_opcode(), std::string(payload.begin(), payload.end()));
        continue;
      }
      if (IsViolation(result.status)) {
        outcome.violation = result.status;
        return outcome;
      }
      EXPECT_TRUE(in.empty()) << "kNeedMore must mean every byte was used";
      break;
    }
  }
  return outcome;
}

Outcome DriveWhole(const Bytes& stream, uint64_t max_message_size = kNoLimit) {
  WebSocketFrameReader reader(max_message_size);
  return Drive(reader, {stream});
}

WsReadStatus ViolationOf(const Bytes& stream, uint64_t max_message_size = kNoLimit) {
  const Outcome outcome = DriveWhole(stream, max_message_size);
  return outcome.violation.value_or(WsReadStatus::kNeedMore);
}

// RFC 6455 section 5.7's "single-frame masked text message" with its opcode made binary (MQTT is
// binary only): the same mask and masked bytes, so the unmasking is checked against the RFC.
TEST(WebSocketFrameReader, UnmasksTheRfcHelloExample) {
  const Bytes frame = {0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  const Outcome outcome = DriveWhole(frame);
  EXPECT_FALSE(outcome.violation.has_value());
  EXPECT_EQ(outcome.data, "Hello");
}

TEST(WebSocketFrameReader, RfcMaskedTextHelloIsRefusedAsText) {
  const Bytes frame = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  EXPECT_EQ(ViolationOf(frame), WsReadStatus::kTextFrame);
  EXPECT_EQ(CloseCodeFor(WsReadStatus::kTextFrame), 1003);
}

TEST(WebSocketFrameReader, RfcUnmaskedHelloIsRefused) {
  const Bytes frame = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  EXPECT_EQ(ViolationOf(frame), WsReadStatus::kUnmasked);
  const Bytes binary = {0x82, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  EXPECT_EQ(ViolationOf(binary), WsReadStatus::kUnmasked);
  EXPECT_EQ(CloseCodeFor(WsReadStatus::kUnmasked), 1002);
}

// RFC 6455 5.7: "Unmasked Ping request and masked Ping response" - the masked pong of "Hello".
TEST(WebSocketFrameReader, RfcMaskedPongCarriesItsPayload) {
  const Bytes pong = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  const Outcome outcome = DriveWhole(pong);
  ASSERT_EQ(outcome.controls.size(), 1u);
  EXPECT_EQ(outcome.controls[0].first, WsOpcode::kPong);
  EXPECT_EQ(outcome.controls[0].second, "Hello");
  EXPECT_TRUE(outcome.data.empty());
}

TEST(WebSocketFrameReader, SixteenAndSixtyFourBitLengths) {
  Bytes medium(256), large(70000);
  for (size_t i = 0; i < medium.size(); ++i) medium[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<uint8_t>(i * 7);
  const Bytes stream = Concat({ClientFrame(0x2, medium), ClientFrame(0x2, large)});
  EXPECT_EQ(stream[1], 0xFE);  // 16-bit length, as RFC 6455 5.7's 256-byte example
  const Outcome outcome = DriveWhole(stream);
  EXPECT_FALSE(outcome.violation.has_value());
  EXPECT_EQ(outcome.data, std::string(medium.begin(), medium.end()) + std::string(large.begin(), large.end()));
}

TEST(WebSocketFrameReader, NonMinimalLengthsAreRead) {
  const Bytes stream = Concat({ClientFrame(0x2, Text("ab"), true, {1, 2, 3, 4}, 16),
                               ClientFrame(0x2, Text("cd"), true, {5, 6, 7, 8}, 64)});
  const Outcome outcome = DriveWhole(stream);
  EXPECT_FALSE(outcome.violation.has_value());
  EXPECT_EQ(outcome.data, "abcd");
}

TEST(WebSocketFrameReader, FragmentedMessageWithInterleavedControlFrames) {
  const Bytes stream = Concat({
      ClientFrame(0x2, Text("MQTT "), false),
      ClientFrame(0x9, Text("ping-1")),
      ClientFrame(0x0, Text("bytes "), false, {9, 8, 7, 6}),
      ClientFrame(0xA, Text("")),
      ClientFrame(0x0, Text("flow"), true, {0xff, 0, 0xff, 0}),
      ClientFrame(0x2, Text(" on")),
      ClientFrame(0x8, {0x03, 0xE8, 'b', 'y', 'e'}),
  });
  const Outcome outcome = DriveWhole(stream);
  EXPECT_FALSE(outcome.violation.has_value());
  EXPECT_EQ(outcome.data, "MQTT bytes flow on");
  ASSERT_EQ(outcome.controls.size(), 3u);
  EXPECT_EQ(outcome.controls[0], std::make_pair(WsOpcode::kPing, std::string("ping-1")));
  EXPECT_EQ(outcome.controls[1], std::make_pair(WsOpcode::kPong, std::string()));
  EXPECT_EQ(outcome.controls[2].first, WsOpcode::kClose);
  EXPECT_EQ(WsCloseStatusOf(std::span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(outcome.controls[2].second.data()), 2)),
            1000);
}

// Every split of the stream into two reads, and one byte per read, gives the same result: header,
// extended length, mask and payload can each be cut anywhere, and the mask phase carries over.
TEST(WebSocketFrameReader, EverySplitReadsTheSame) {
  Bytes long_payload(300);
  for (size_t i = 0; i < long_payload.size(); ++i) long_payload[i] = static_cast<uint8_t>(i * 13 + 1);
  const Bytes stream = Concat({
      ClientFrame(0x2, Text("first packet bytes"), false, {0x11, 0x22, 0x33, 0x44}),
      ClientFrame(0x9, Text("p")),
      ClientFrame(0x0, long_payload, true, {0xa1, 0xb2, 0xc3, 0xd4}),
      ClientFrame(0x2, Text(""), true),
      ClientFrame(0x2, Text("z"), true, {1, 1, 1, 1}, 64),
      ClientFrame(0x8, {0x0F, 0xA0}),
  });
  const Outcome whole = DriveWhole(stream);
  ASSERT_FALSE(whole.violation.has_value());
  ASSERT_EQ(whole.controls.size(), 2u);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    WebSocketFrameReader reader(kNoLimit);
    const Outcome split = Drive(reader, {Bytes(stream.begin(), stream.begin() + cut), Bytes(stream.begin() + cut, stream.end())});
    EXPECT_EQ(split.data, whole.data) << "cut at " << cut;
    EXPECT_EQ(split.controls, whole.controls) << "cut at " << cut;
    EXPECT_FALSE(split.violation.has_value()) << "cut at " << cut;
  }
  std::vector<Bytes> bytes;
  for (uint8_t byte : stream) bytes.push_back({byte});
  WebSocketFrameReader reader(kNoLimit);
  const Outcome trickled = Drive(reader, bytes);
  EXPECT_EQ(trickled.data, whole.data);
  EXPECT_EQ(trickled.controls, whole.controls);
}

TEST(WebSocketFrameReader, ZeroLengthFramesEndAtTheirHeader) {
  const Bytes stream = Concat({ClientFrame(0x2, {}, false), ClientFrame(0x0, {}, true), ClientFrame(0x9, {})});
  const Outcome outcome = DriveWhole(stream);
  EXPECT_FALSE(outcome.violation.has_value());
  EXPECT_TRUE(outcome.data.empty());
  ASSERT_EQ(outcome.controls.size(), 1u);
  EXPECT_EQ(outcome.controls[0].first, WsOpcode::kPing);
}

TEST(WebSocketFrameReader, ReservedBitsRefused) {
  for (uint8_t bit : {0x40, 0x20, 0x10}) {
    Bytes frame = ClientFrame(0x2, Text("x"));
    frame[0] |= bit;
    EXPECT_EQ(ViolationOf(frame), WsReadStatus::kReservedBits) << int(bit);
  }
}

TEST(WebSocketFrameReader, UnknownOpcodesRefused) {
  for (uint8_t opcode : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    EXPECT_EQ(ViolationOf(ClientFrame(opcode, Text("x"))), WsReadStatus::kUnknownOpcode) << int(opcode);
  }
}

// Refused from the first two bytes: no need to wait for a length or mask that may never come.
TEST(WebSocketFrameReader, ViolationsSeenInTheFirstTwoBytes) {
  WebSocketFrameReader reader(kNoLimit);
  std::string data;
  const Bytes unmasked = {0x82, 0x7F};
  EXPECT_EQ(reader.Read(unmasked, data).status, WsReadStatus::kUnmasked);
  WebSocketFrameReader control_reader(kNoLimit);
  const Bytes long_ping = {0x89, 0xFE};
  EXPECT_EQ(control_reader.Read(long_ping, data).status, WsReadStatus::kControlTooLong);
}

TEST(WebSocketFrameReader, ControlFrameRules) {
  EXPECT_EQ(ViolationOf(ClientFrame(0x9, Bytes(126, 'a'))), WsReadStatus::kControlTooLong);
  EXPECT_EQ(ViolationOf(ClientFrame(0x9, Bytes(1, 'a'), true, {1, 2, 3, 4}, 16)), WsReadStatus::kControlTooLong);
  EXPECT_EQ(ViolationOf(ClientFrame(0x9, Text("x"), false)), WsReadStatus::kControlFragmented);
  EXPECT_EQ(ViolationOf(ClientFrame(0x8, Text("x"), false)), WsReadStatus::kControlFragmented);
  const Outcome longest = DriveWhole(ClientFrame(0x9, Bytes(125, 'a')));
  ASSERT_EQ(longest.controls.size(), 1u);
  EXPECT_EQ(longest.controls[0].second, std::string(125, 'a'));
}

TEST(WebSocketFrameReader, FragmentationSequenceRules) {
  EXPECT_EQ(ViolationOf(ClientFrame(0x0, Text("x"))), WsReadStatus::kUnexpectedContinuation);
  EXPECT_EQ(ViolationOf(Concat({ClientFrame(0x2, Text("a")), ClientFrame(0x0, Text("b"))})),
            WsReadStatus::kUnexpectedContinuation);
  EXPECT_EQ(ViolationOf(Concat({ClientFrame(0x2, Text("a"), false), ClientFrame(0x2, Text("b"))})),
            WsReadStatus::kExpectedContinuation);
  EXPECT_EQ(ViolationOf(Concat({ClientFrame(0x2, Text("a"), false), ClientFrame(0x1, Text("b"))})),
            WsReadStatus::kExpectedContinuation);
  EXPECT_EQ(ViolationOf(ClientFrame(0x1, Text("text"), false)), WsReadStatus::kTextFrame);
}

TEST(WebSocketFrameReader, LengthWithTopBitRefused) {
  const Bytes frame = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
  EXPECT_EQ(ViolationOf(frame), WsReadStatus::kLengthTooLarge);
}

TEST(WebSocketFrameReader, MessageSizeCountsEveryFragment) {
  EXPECT_EQ(ViolationOf(ClientFrame(0x2, Bytes(10, 'a')), 10), WsReadStatus::kNeedMore);
  EXPECT_EQ(ViolationOf(ClientFrame(0x2, Bytes(11, 'a')), 10), WsReadStatus::kMessageTooBig);
  EXPECT_EQ(CloseCodeFor(WsReadStatus::kMessageTooBig), 1009);
  const Bytes fits = Concat({ClientFrame(0x2, Bytes(6, 'a'), false), ClientFrame(0x0, Bytes(4, 'b'))});
  EXPECT_EQ(ViolationOf(fits, 10), WsReadStatus::kNeedMore);
  const Bytes too_big = Concat({ClientFrame(0x2, Bytes(6, 'a'), false), ClientFrame(0x0, Bytes(5, 'b'))});
  EXPECT_EQ(ViolationOf(too_big, 10), WsReadStatus::kMessageTooBig);
  // Each message counts from zero; control frames do not count.
  const Bytes two = Concat({ClientFrame(0x2, Bytes(10, 'a')), ClientFrame(0x9, Bytes(100, 'p')),
                            ClientFrame(0x2, Bytes(10, 'b'))});
  EXPECT_EQ(ViolationOf(two, 10), WsReadStatus::kNeedMore);
  // Refused from the header: a huge announced length is not read first.
  const Bytes huge = {0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  EXPECT_EQ(ViolationOf(huge, 1 << 20), WsReadStatus::kMessageTooBig);
}

TEST(WebSocketFrameReader, ClosePayloadRules) {
  EXPECT_EQ(ViolationOf(ClientFrame(0x8, {0x03})), WsReadStatus::kBadClosePayload);
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    EXPECT_EQ(ViolationOf(ClientFrame(0x8, {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)})),
              WsReadStatus::kBadClosePayload)
        << code;
  }
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999}) {
    EXPECT_EQ(DriveWhole(ClientFrame(0x8, {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)})).controls.size(), 1u)
        << code;
  }
  EXPECT_EQ(DriveWhole(ClientFrame(0x8, {})).controls.size(), 1u);
}

TEST(WebSocketFrameWriter, HeadersUseTheShortestLength) {
  std::string out;
  AppendWsFrameHeader(WsOpcode::kBinary, 125, out);
  EXPECT_EQ(out, std::string("\x82\x7d", 2));
  out.clear();
  AppendWsFrameHeader(WsOpcode::kBinary, 126, out);
  EXPECT_EQ(out, std::string("\x82\x7e\x00\x7e", 4));
  out.clear();
  AppendWsFrameHeader(WsOpcode::kBinary, 65535, out);
  EXPECT_EQ(out, std::string("\x82\x7e\xff\xff", 4));
  out.clear();
  // RFC 6455 5.7: "64KiB binary message in a single unmasked frame".
  AppendWsFrameHeader(WsOpcode::kBinary, 65536, out);
  EXPECT_EQ(out, std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

TEST(WebSocketFrameWriter, RfcUnmaskedPingAndCloseFrames) {
  std::string out;
  AppendWsFrame(WsOpcode::kPing, Text("Hello"), out);
  EXPECT_EQ(out, std::string("\x89\x05Hello", 7));  // RFC 6455 5.7's unmasked ping
  out.clear();
  AppendWsCloseFrame(kWsCloseMessageTooBig, out);
  EXPECT_EQ(out, std::string("\x88\x02\x03\xf1", 4));
}

}  // namespace
}  // namespace ringmq
