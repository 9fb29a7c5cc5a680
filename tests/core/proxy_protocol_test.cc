#include "core/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ringmq {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes FromText(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

const Bytes kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
// An MQTT 3.1.1 CONNECT (client id "a"): what follows the header on a real connection.
const Bytes kConnect = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 'a'};

Bytes V2Header(uint8_t version_command, uint8_t family_transport, const Bytes& payload) {
  return Concat({kV2Signature,
                 {version_command, family_transport, static_cast<uint8_t>(payload.size() >> 8),
                  static_cast<uint8_t>(payload.size() & 0xff)},
                 payload});
}

std::array<uint8_t, 16> Mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

ProxyParseResult Parse(const Bytes& bytes) { return ParseProxyHeader(bytes); }

// The header arriving one byte at a time, and cut at every offset: every prefix shorter than the
// header needs more, every longer one gives the same header and size.
ProxyParseResult ExpectCompleteAtEverySplit(const Bytes& header) {
  const Bytes stream = Concat({header, kConnect});
  const ProxyParseResult whole = Parse(stream);
  EXPECT_EQ(whole.status, ProxyParseStatus::kComplete) << whole.reason;
  EXPECT_EQ(whole.header_size, header.size());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    const ProxyParseResult part = ParseProxyHeader(std::span(stream.data(), cut));
    if (cut < header.size()) {
      EXPECT_EQ(part.status, ProxyParseStatus::kNeedMore) << "cut at " << cut << ": " << part.reason;
    } else {
      EXPECT_EQ(part.status, ProxyParseStatus::kComplete) << "cut at " << cut;
      EXPECT_EQ(part.header_size, header.size()) << "cut at " << cut;
      EXPECT_EQ(part.header, whole.header) << "cut at " << cut;
    }
  }
  return whole;
}

// A malformed header is refused once the bytes prove it, and stays refused as more arrive; no prefix
// completes.
std::string ExpectInvalidAtEverySplit(const Bytes& bytes) {
  const ProxyParseResult whole = Parse(bytes);
  EXPECT_EQ(whole.status, ProxyParseStatus::kInvalid);
  EXPECT_FALSE(whole.reason.empty());
  bool refused = false;
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    const ProxyParseResult part = ParseProxyHeader(std::span(bytes.data(), cut));
    EXPECT_NE(part.status, ProxyParseStatus::kComplete) << "cut at " << cut;
    if (refused) {
      EXPECT_EQ(part.status, ProxyParseStatus::kInvalid) << "cut at " << cut;
    }
    refused = part.status == ProxyParseStatus::kInvalid;
  }
  return whole.reason;
}

// ---------------------------------------------------------------------------------------------
// Version 1

TEST(ProxyProtocolV1, Tcp4FromTheSpec) {
  const ProxyParseResult result = ExpectCompleteAtEverySplit(FromText("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"));
  EXPECT_EQ(result.header.version, 1);
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.address, Mapped(192, 168, 0, 1));
  EXPECT_EQ(result.header.addresses->source.port, 56324);
  EXPECT_EQ(result.header.addresses->destination.address, Mapped(192, 168, 0, 11));
  EXPECT_EQ(result.header.addresses->destination.port, 443);
  EXPECT_EQ(ProxyAddressText(result.header.addresses->source.address), "192.168.0.1");
}

TEST(ProxyProtocolV1, Tcp6) {
  const ProxyParseResult result =
      ExpectCompleteAtEverySplit(FromText("PROXY TCP6 2001:db8::1 2001:db8::2:1 0 65535\r\n"));
  ASSERT_TRUE(result.header.addresses.has_value());
  const std::array<uint8_t, 16> source = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(result.header.addresses->source.address, source);
  EXPECT_EQ(result.header.addresses->source.port, 0);
  EXPECT_EQ(result.header.addresses->destination.port, 65535);
  EXPECT_EQ(ProxyAddressText(result.header.addresses->source.address), "2001:db8::1");
  EXPECT_EQ(ProxyAddressText(result.header.addresses->destination.address), "2001:db8::2:1");
}

TEST(ProxyProtocolV1, Tcp6WithMappedIpv4CountsAsTheIpv4Address) {
  const ProxyParseResult result =
      ExpectCompleteAtEverySplit(FromText("PROXY TCP6 ::ffff:203.0.113.7 ::1 1883 1883\r\n"));
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.address, Mapped(203, 0, 113, 7));
  EXPECT_EQ(ProxyAddressText(result.header.addresses->source.address), "203.0.113.7");
  EXPECT_EQ(ProxyAddressText(result.header.addresses->destination.address), "::1");
}

TEST(ProxyProtocolV1, UnknownHasNoAddresses) {
  const ProxyParseResult result = ExpectCompleteAtEverySplit(FromText("PROXY UNKNOWN\r\n"));
  EXPECT_EQ(result.header.version, 1);
  EXPECT_FALSE(result.header.addresses.has_value());
}

TEST(ProxyProtocolV1, UnknownIgnoresTheRestOfTheLine) {
  // The spec's worst case: exactly 107 bytes.
  const std::string longest =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  ASSERT_EQ(longest.size(), kProxyV1MaxHeaderSize);
  const ProxyParseResult result = ExpectCompleteAtEverySplit(FromText(longest));
  EXPECT_FALSE(result.header.addresses.has_value());
  ExpectCompleteAtEverySplit(FromText("PROXY UNKNOWN anything at all\r\n"));
}

TEST(ProxyProtocolV1, LongestTcp6LineFits) {
  const std::string line =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  const ProxyParseResult result = ExpectCompleteAtEverySplit(FromText(line));
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(ProxyAddressText(result.header.addresses->source.address), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(ProxyProtocolV1, NoCrlfWithin107BytesIsRefused) {
  const Bytes line = FromText("PROXY UNKNOWN " + std::string(kProxyV1MaxHeaderSize, 'x') + "\r\n");
  EXPECT_NE(ExpectInvalidAtEverySplit(line).find("107"), std::string::npos);
  // Refused as soon as no CR fits any more: a CR at the 107th byte would end the line at 108.
  EXPECT_EQ(ParseProxyHeader(std::span(line.data(), kProxyV1MaxHeaderSize - 2)).status, ProxyParseStatus::kNeedMore);
  EXPECT_EQ(ParseProxyHeader(std::span(line.data(), kProxyV1MaxHeaderSize - 1)).status, ProxyParseStatus::kInvalid);
}

TEST(ProxyProtocolV1, A108ByteLineIsRefused) {
  // Found by the proxy_protocol fuzz target: the CRLF one byte past the limit was accepted.
  const std::string line = "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n";
  ASSERT_EQ(line.size(), kProxyV1MaxHeaderSize + 1);
  EXPECT_NE(ExpectInvalidAtEverySplit(FromText(line)).find("107"), std::string::npos);
}

TEST(ProxyProtocolV1, MalformedLinesAreRefused) {
  const char* malformed[] = {
      "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",        // the keyword is upper case
      "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n",         // no space after PROXY
      "PROXY\r\n",                                 // nothing after it
      "PROXY \r\n",
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",        // unknown protocol
      "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",       // two spaces
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",       // trailing space
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",          // a field missing
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",      // one too many
      "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",      // octet out of range
      "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",          // three octets
      "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",      // five
      "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",       // leading zero
      "PROXY TCP4 1.2.3.4 5.6..8 1 2\r\n",         // empty octet
      "PROXY TCP4 1.2.3.-4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",            // IPv6 in TCP4
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",            // IPv4 in TCP6
      "PROXY TCP6 ::1 ::g 1 2\r\n",                // not hexadecimal
      "PROXY TCP6 1::2::3 ::1 1 2\r\n",            // two ::
      "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",    // port out of range
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",      // leading zero
      "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",       // sign
      "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 0x2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 100000 2\r\n",   // six digits
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX\n",       // CR without LF
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",          // LF without CR
      "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",       // a tab
  };
  for (const char* line : malformed) {
    SCOPED_TRACE(line);
    ExpectInvalidAtEverySplit(FromText(line));
  }
}

TEST(ProxyProtocolV1, ReasonsNameTheBadField) {
  EXPECT_NE(Parse(FromText("PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n")).reason.find("source port"), std::string::npos);
  EXPECT_NE(Parse(FromText("PROXY TCP4 1.2.3.4 5.6.7.8 7 x\r\n")).reason.find("destination port"), std::string::npos);
  EXPECT_NE(Parse(FromText("PROXY TCP4 x 5.6.7.8 1 2\r\n")).reason.find("source address"), std::string::npos);
  EXPECT_NE(Parse(FromText("PROXY TCP6 ::1 x 1 2\r\n")).reason.find("destination address is not IPv6"),
            std::string::npos);
}

TEST(ProxyProtocolV1, NulByteIsRefusedAtOnce) {
  const Bytes line = Concat({FromText("PROXY TCP4 1.2"), {0x00}, FromText(".3.4 5.6.7.8 1 2\r\n")});
  ExpectInvalidAtEverySplit(line);
  EXPECT_EQ(ParseProxyHeader(std::span(line.data(), 15)).status, ProxyParseStatus::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Not a header at all

TEST(ProxyProtocol, EmptyNeedsMore) { EXPECT_EQ(Parse({}).status, ProxyParseStatus::kNeedMore); }

TEST(ProxyProtocol, PlainMqttIsRefusedAtItsFirstByte) {
  const ProxyParseResult result = ParseProxyHeader(std::span(kConnect.data(), 1));
  EXPECT_EQ(result.status, ProxyParseStatus::kInvalid);
  EXPECT_NE(result.reason.find("does not start with a PROXY protocol header"), std::string::npos);
  EXPECT_NE(result.reason.find("0x10"), std::string::npos);
}

TEST(ProxyProtocol, HttpIsRefused) {
  // "P" of "POST" starts like "PROXY " and is refused at the first byte that differs.
  EXPECT_EQ(Parse(FromText("POST / HTTP/1.1\r\n\r\n")).status, ProxyParseStatus::kInvalid);
  EXPECT_EQ(Parse(FromText("PRO")).status, ProxyParseStatus::kNeedMore);
  EXPECT_EQ(Parse(FromText("PROXZ")).status, ProxyParseStatus::kInvalid);
  EXPECT_EQ(Parse(FromText("GET / HTTP/1.1\r\n\r\n")).status, ProxyParseStatus::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Version 2

// HAProxy's send-proxy-v2 for 172.19.0.1:42578 -> 172.19.0.3:80, as captured on the wire.
const Bytes kV2Tcp4 = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00,
                       0x0c, 0xac, 0x13, 0x00, 0x01, 0xac, 0x13, 0x00, 0x03, 0xa6, 0x52, 0x00, 0x50};

TEST(ProxyProtocolV2, Tcp4) {
  const ProxyParseResult result = ExpectCompleteAtEverySplit(kV2Tcp4);
  EXPECT_EQ(result.header.version, 2);
  EXPECT_EQ(result.header_size, 28u);
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.address, Mapped(172, 19, 0, 1));
  EXPECT_EQ(result.header.addresses->source.port, 42578);
  EXPECT_EQ(result.header.addresses->destination.address, Mapped(172, 19, 0, 3));
  EXPECT_EQ(result.header.addresses->destination.port, 80);
}

TEST(ProxyProtocolV2, Tcp6) {
  Bytes payload = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,   // source
                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,                  // destination ::1
                   0xc3, 0x50, 0x07, 0x5b};                                         // 50000, 1883
  const ProxyParseResult result = ExpectCompleteAtEverySplit(V2Header(0x21, 0x21, payload));
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(ProxyAddressText(result.header.addresses->source.address), "2001:db8::7");
  EXPECT_EQ(result.header.addresses->source.port, 50000);
  EXPECT_EQ(ProxyAddressText(result.header.addresses->destination.address), "::1");
  EXPECT_EQ(result.header.addresses->destination.port, 1883);
}

TEST(ProxyProtocolV2, LocalSkipsItsBlockUnread) {
  // A health check: no addresses (the socket's stand), and whatever the block holds is skipped.
  ProxyParseResult result = ExpectCompleteAtEverySplit(V2Header(0x20, 0x00, {}));
  EXPECT_EQ(result.header.version, 2);
  EXPECT_FALSE(result.header.addresses.has_value());
  result = ExpectCompleteAtEverySplit(V2Header(0x20, 0x11, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xff}));
  EXPECT_FALSE(result.header.addresses.has_value());
  EXPECT_EQ(result.header_size, 16u + 13u);
  // "The family is ignored" for LOCAL: even one the spec does not define.
  EXPECT_FALSE(ExpectCompleteAtEverySplit(V2Header(0x20, 0x41, {1, 2})).header.addresses.has_value());
}

TEST(ProxyProtocolV2, UnspecAndUnixHaveNoIpAddresses) {
  EXPECT_FALSE(ExpectCompleteAtEverySplit(V2Header(0x21, 0x00, {})).header.addresses.has_value());
  EXPECT_FALSE(ExpectCompleteAtEverySplit(V2Header(0x21, 0x31, Bytes(216, 'p'))).header.addresses.has_value());
}

TEST(ProxyProtocolV2, TlvsAreSkipped) {
  const Bytes tlvs = {0x01, 0x00, 0x02, 'h', '2',                     // PP2_TYPE_ALPN
                      0x04, 0x00, 0x03, 0x00, 0x00, 0x00,             // PP2_TYPE_NOOP
                      0xea, 0x00, 0x04, 'v', 'p', 'c', 'e',           // AWS VPC endpoint (custom range)
                      0x05, 0x00, 0x00};                              // PP2_TYPE_UNIQUE_ID, empty
  const Bytes payload = Concat({Bytes(kV2Tcp4.begin() + 16, kV2Tcp4.end()), tlvs});
  const ProxyParseResult result = ExpectCompleteAtEverySplit(V2Header(0x21, 0x11, payload));
  EXPECT_EQ(result.header_size, 16 + 12 + tlvs.size());
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.port, 42578);
}

TEST(ProxyProtocolV2, LargestAcceptedPayload) {
  Bytes payload(kProxyV2MaxPayloadSize, 0);
  const size_t tlv_length = kProxyV2MaxPayloadSize - 12 - 3;
  payload[12] = 0x04;
  payload[13] = static_cast<uint8_t>(tlv_length >> 8);
  payload[14] = static_cast<uint8_t>(tlv_length & 0xff);
  EXPECT_TRUE(ExpectCompleteAtEverySplit(V2Header(0x21, 0x11, payload)).header.addresses.has_value());
}

TEST(ProxyProtocolV2, BadSignatureAtEveryByte) {
  for (size_t i = 0; i < kV2Signature.size(); ++i) {
    Bytes header = kV2Tcp4;
    header[i] ^= 0x20;
    SCOPED_TRACE(i);
    ExpectInvalidAtEverySplit(header);
    // Refused as soon as the wrong byte arrives.
    EXPECT_EQ(ParseProxyHeader(std::span(header.data(), i + 1)).status, ProxyParseStatus::kInvalid);
  }
}

TEST(ProxyProtocolV2, BadFixedFieldsAreRefusedBeforeThePayload) {
  struct Case {
    uint8_t version_command, family_transport;
    const char* reason_part;
  };
  const Case cases[] = {
      {0x11, 0x11, "version 1"},           // version 1 in binary form
      {0x31, 0x11, "version 3"},
      {0x22, 0x11, "command 2"},
      {0x2f, 0x11, "command 15"},
      {0x21, 0x41, "family/transport"},    // family 4
      {0x21, 0x13, "family/transport"},    // transport 3
      {0x21, 0x10, "family/transport"},    // INET with UNSPEC transport
      {0x21, 0x01, "family/transport"},    // UNSPEC with STREAM
      {0x21, 0x12, "datagram"},            // UDP over IPv4
      {0x21, 0x22, "datagram"},
  };
  for (const Case& c : cases) {
    const Bytes header = V2Header(c.version_command, c.family_transport, Bytes(36, 0));
    SCOPED_TRACE(c.reason_part);
    EXPECT_NE(ExpectInvalidAtEverySplit(header).find(c.reason_part), std::string::npos);
    EXPECT_EQ(ParseProxyHeader(std::span(header.data(), kProxyV2FixedSize)).status, ProxyParseStatus::kInvalid);
  }
}

TEST(ProxyProtocolV2, LengthTooLargeIsRefusedAtOnce) {
  Bytes header = V2Header(0x21, 0x11, Bytes(12, 0));
  header[14] = static_cast<uint8_t>((kProxyV2MaxPayloadSize + 1) >> 8);
  header[15] = static_cast<uint8_t>((kProxyV2MaxPayloadSize + 1) & 0xff);
  EXPECT_NE(ExpectInvalidAtEverySplit(header).find("more than"), std::string::npos);
  header[14] = header[15] = 0xff;  // the largest the field can say
  ExpectInvalidAtEverySplit(header);
}

TEST(ProxyProtocolV2, LengthTooSmallForTheAddressesIsRefused) {
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Bytes(11, 0)));
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x21, Bytes(35, 0)));
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x31, Bytes(215, 0)));
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, {}));
}

TEST(ProxyProtocolV2, MalformedTlvsAreRefused) {
  const Bytes addresses(kV2Tcp4.begin() + 16, kV2Tcp4.end());
  // A TLV longer than what is left of the header.
  EXPECT_NE(ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Concat({addresses, {0x04, 0x00, 0x05, 1, 2}})))
                .find("claims 5 bytes"),
            std::string::npos);
  // The header ends inside a TLV's own header.
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Concat({addresses, {0x04}})));
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Concat({addresses, {0x04, 0x00}})));
  ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Concat({addresses, {0x04, 0x00, 0x00, 0x01, 0x00}})));
}

TEST(ProxyProtocolV2, TruncatedHeaderNeedsMore) {
  // A header cut short is not an error by itself: the connection's timeout ends the wait.
  for (size_t cut = 0; cut < kV2Tcp4.size(); ++cut) {
    EXPECT_EQ(ParseProxyHeader(std::span(kV2Tcp4.data(), cut)).status, ProxyParseStatus::kNeedMore) << cut;
  }
}

TEST(ProxyProtocolV2, TheConnectionsBytesAreNotPartOfTheHeader) {
  const Bytes stream = Concat({kV2Tcp4, kConnect});
  const ProxyParseResult result = Parse(stream);
  ASSERT_EQ(result.status, ProxyParseStatus::kComplete);
  EXPECT_EQ(Bytes(stream.begin() + static_cast<std::ptrdiff_t>(result.header_size), stream.end()), kConnect);
}

// ---------------------------------------------------------------------------------------------
// Headers captured from HAProxy 2.6.12 (Debian 12) forwarding 127.0.0.1 to a loopback backend.

TEST(ProxyProtocolHaproxy, SendProxy) {
  const ProxyParseResult result = ExpectCompleteAtEverySplit(FromText("PROXY TCP4 127.0.0.1 127.0.0.1 45008 35975\r\n"));
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.address, Mapped(127, 0, 0, 1));
  EXPECT_EQ(result.header.addresses->source.port, 45008);
  EXPECT_EQ(result.header.addresses->destination.port, 35975);
}

TEST(ProxyProtocolHaproxy, SendProxyV2) {
  const Bytes header = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00,
    0x0c, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xd7, 0xd0, 0xb9, 0x33,
  };
  const ProxyParseResult result = ExpectCompleteAtEverySplit(header);
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.address, Mapped(127, 0, 0, 1));
  EXPECT_EQ(result.header.addresses->source.port, 55248);
  EXPECT_EQ(result.header.addresses->destination.port, 47411);
}

TEST(ProxyProtocolHaproxy, SendProxyV2WithTlvs) {
  // proxy-v2-options ssl,unique-id,authority,crc32c: a CRC32C, a unique id and an SSL TLV (the
  // connection was not TLS, so no authority).
  const Bytes header = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00,
    0x47, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xa3, 0xfa, 0x9f, 0x2f, 0x03, 0x00,
    0x04, 0x25, 0xf4, 0xf1, 0x53, 0x05, 0x00, 0x29, 0x37, 0x46, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x31, 0x3a, 0x41, 0x33, 0x46, 0x41, 0x5f, 0x37, 0x46, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31,
    0x3a, 0x39, 0x46, 0x32, 0x46, 0x5f, 0x36, 0x42, 0x31, 0x35, 0x32, 0x36, 0x34, 0x36, 0x5f,
    0x30, 0x30, 0x30, 0x30, 0x20, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  const ProxyParseResult result = ExpectCompleteAtEverySplit(header);
  EXPECT_EQ(result.header_size, 87u);
  ASSERT_TRUE(result.header.addresses.has_value());
  EXPECT_EQ(result.header.addresses->source.port, 41978);
  EXPECT_EQ(result.header.addresses->destination.port, 40751);
}

TEST(ProxyProtocolHaproxy, Crc32cIsVerified) {
  Bytes header = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00,
    0x47, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xa3, 0xfa, 0x9f, 0x2f, 0x03, 0x00,
    0x04, 0x25, 0xf4, 0xf1, 0x53, 0x05, 0x00, 0x29, 0x37, 0x46, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x31, 0x3a, 0x41, 0x33, 0x46, 0x41, 0x5f, 0x37, 0x46, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31,
    0x3a, 0x39, 0x46, 0x32, 0x46, 0x5f, 0x36, 0x42, 0x31, 0x35, 0x32, 0x36, 0x34, 0x36, 0x5f,
    0x30, 0x30, 0x30, 0x30, 0x20, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  ASSERT_EQ(Parse(header).status, ProxyParseStatus::kComplete);
  // Any byte after the fixed fields changed fails the check, the checksum's own included; all but the
  // TLV's type byte (28: 0x03 becomes 0x02, an authority TLV, which carries no checksum) and its
  // length (29, 30: the TLV no longer fits, or is no longer 4 bytes), refused by other checks.
  constexpr size_t kCrcTlvType = 28;
  for (size_t i = kProxyV2FixedSize; i < header.size(); ++i) {
    if (i == kCrcTlvType) continue;
    Bytes changed = header;
    changed[i] ^= 0x01;
    const ProxyParseResult result = Parse(changed);
    EXPECT_EQ(result.status, ProxyParseStatus::kInvalid) << i;
    if (i != 29 && i != 30) {
      EXPECT_NE(result.reason.find("CRC32C"), std::string::npos) << i << ": " << result.reason;
    }
  }
  // A CRC32C TLV must hold four bytes.
  const Bytes addresses(kV2Tcp4.begin() + 16, kV2Tcp4.end());
  EXPECT_NE(ExpectInvalidAtEverySplit(V2Header(0x21, 0x11, Concat({addresses, {0x03, 0x00, 0x03, 1, 2, 3}})))
                .find("not 4"),
            std::string::npos);
}

}  // namespace
}  // namespace ringmq
