#include "core/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/crc32c.h"

namespace ringmq {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::array<uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// Version 2 fields (proxy-protocol.txt 2.2).
constexpr uint8_t kV2CommandLocal = 0x0;
constexpr uint8_t kV2CommandProxy = 0x1;
constexpr uint8_t kV2FamilyUnspec = 0x0;
constexpr uint8_t kV2FamilyInet = 0x1;
constexpr uint8_t kV2FamilyInet6 = 0x2;
constexpr uint8_t kV2FamilyUnix = 0x3;
constexpr uint8_t kV2TransportUnspec = 0x0;
constexpr uint8_t kV2TransportStream = 0x1;
constexpr uint8_t kV2TransportDgram = 0x2;
constexpr size_t kV2Inet4AddressSize = 12;   // two addresses of 4 bytes, two ports
constexpr size_t kV2Inet6AddressSize = 36;   // two addresses of 16 bytes, two ports
constexpr size_t kV2UnixAddressSize = 216;   // two paths of 108 bytes
constexpr size_t kV2TlvHeaderSize = 3;       // type, 16-bit length
constexpr uint8_t kV2TypeCrc32c = 0x03;

ProxyParseResult NeedMore() { return {}; }

ProxyParseResult Invalid(std::string reason) {
  ProxyParseResult result;
  result.status = ProxyParseStatus::kInvalid;
  result.reason = std::move(reason);
  return result;
}

ProxyParseResult Complete(ProxyHeader header, size_t size) {
  ProxyParseResult result;
  result.status = ProxyParseStatus::kComplete;
  result.header = std::move(header);
  result.header_size = size;
  return result;
}

// True while `received` is still a prefix of `expected` (or holds all of it).
bool MatchesSoFar(std::span<const uint8_t> received, std::span<const uint8_t> expected) {
  const size_t n = std::min(received.size(), expected.size());
  return std::equal(received.begin(), received.begin() + static_cast<std::ptrdiff_t>(n), expected.begin());
}

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// ---------------------------------------------------------------------------------------------
// Version 1: text.

std::array<uint8_t, 16> MappedIpv4(const uint8_t (&octets)[4]) {
  std::array<uint8_t, 16> address{};
  address[10] = 0xff;
  address[11] = 0xff;
  std::memcpy(address.data() + 12, octets, 4);
  return address;
}

// A decimal number of 1 to `max_digits` digits without a leading zero (the spec's canonical form;
// "010" could mean octal to one reader and ten to another).
std::optional<uint32_t> ParseDecimal(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value;
}

std::optional<std::array<uint8_t, 16>> ParseIpv4Text(std::string_view text) {
  uint8_t octets[4];
  for (int i = 0; i < 4; ++i) {
    const size_t dot = i < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos) return std::nullopt;
    const std::optional<uint32_t> octet = ParseDecimal(text.substr(0, dot), 3);
    if (!octet.has_value() || *octet > 255) return std::nullopt;
    octets[i] = static_cast<uint8_t>(*octet);
    text.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  return MappedIpv4(octets);
}

std::optional<std::array<uint8_t, 16>> ParseIpv6Text(std::string_view text) {
  // inet_pton needs a terminated string; the longest IPv6 text (mapped IPv4 tail included) is 45.
  char terminated[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(terminated)) return std::nullopt;
  std::memcpy(terminated, text.data(), text.size());
  terminated[text.size()] = '\0';
  std::array<uint8_t, 16> address{};
  if (inet_pton(AF_INET6, terminated, address.data()) != 1) return std::nullopt;
  return address;
}

std::vector<std::string_view> SplitOnSpaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) return fields;
    start = space + 1;
  }
}

// The fields of a whole line (CRLF removed).
ProxyParseResult ParseV1Line(std::string_view line, size_t header_size) {
  const std::vector<std::string_view> fields = SplitOnSpaces(line);
  ProxyHeader header;
  header.version = 1;
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") {
    // The spec: everything after UNKNOWN up to the CRLF is to be ignored.
    return Complete(header, header_size);
  }
  if (fields.size() < 2 || (fields[1] != "TCP4" && fields[1] != "TCP6")) {
    return Invalid("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  if (fields.size() != 6) {
    return Invalid(absl::StrCat("v1 ", std::string(fields[1]), " line has ", fields.size(),
                                " space-separated fields, not 6 (one space between fields)"));
  }
  const bool ipv4 = fields[1] == "TCP4";
  auto parse_address = ipv4 ? ParseIpv4Text : ParseIpv6Text;
  const std::optional<std::array<uint8_t, 16>> source = parse_address(fields[2]);
  const std::optional<std::array<uint8_t, 16>> destination = parse_address(fields[3]);
  if (!source.has_value()) return Invalid(absl::StrCat("v1 source address is not ", ipv4 ? "IPv4" : "IPv6"));
  if (!destination.has_value()) {
    return Invalid(absl::StrCat("v1 destination address is not ", ipv4 ? "IPv4" : "IPv6"));
  }
  const std::optional<uint32_t> source_port = ParseDecimal(fields[4], 5);
  const std::optional<uint32_t> destination_port = ParseDecimal(fields[5], 5);
  if (!source_port.has_value() || *source_port > 65535) return Invalid("v1 source port is not 0..65535");
  if (!destination_port.has_value() || *destination_port > 65535) {
    return Invalid("v1 destination port is not 0..65535");
  }
  header.addresses = ProxyAddresses{{*source, static_cast<uint16_t>(*source_port)},
                                    {*destination, static_cast<uint16_t>(*destination_port)}};
  return Complete(header, header_size);
}

ProxyParseResult ParseV1(std::span<const uint8_t> received) {
  if (!MatchesSoFar(received, Bytes(kV1Prefix))) return Invalid("v1 header does not start with \"PROXY \"");
  // The CRLF ends the line within kProxyV1MaxHeaderSize bytes, so its CR comes at most one byte before.
  const size_t last_cr_end = kProxyV1MaxHeaderSize - 1;
  const size_t scan = std::min(received.size(), last_cr_end);
  for (size_t i = 0; i < scan; ++i) {
    const uint8_t c = received[i];
    if (c == '\r') {
      if (i + 1 == received.size()) return NeedMore();
      if (received[i + 1] != '\n') return Invalid("v1 header has a CR not followed by LF");
      const std::string_view line(reinterpret_cast<const char*>(received.data()), i);
      return ParseV1Line(line, i + 2);
    }
    // The line is printable ASCII: anything else (a lone LF, a NUL, an MQTT packet) cannot be one.
    if (c < 0x20 || c > 0x7e) return Invalid(absl::StrFormat("v1 header has byte 0x%02x before its CRLF", c));
  }
  if (received.size() >= last_cr_end) {
    return Invalid(absl::StrCat("v1 header has no CRLF within ", kProxyV1MaxHeaderSize, " bytes"));
  }
  return NeedMore();
}

// ---------------------------------------------------------------------------------------------
// Version 2: binary.

uint16_t ReadBigEndian16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

size_t AddressBlockSize(uint8_t family) {
  switch (family) {
    case kV2FamilyInet: return kV2Inet4AddressSize;
    case kV2FamilyInet6: return kV2Inet6AddressSize;
    case kV2FamilyUnix: return kV2UnixAddressSize;
    default: return 0;
  }
}

// The spec lists the valid family/transport pairs; "receivers must drop connections presenting
// unexpected values here".
bool ValidFamilyAndTransport(uint8_t family, uint8_t transport) {
  if (family == kV2FamilyUnspec || transport == kV2TransportUnspec) {
    return family == kV2FamilyUnspec && transport == kV2TransportUnspec;
  }
  return family <= kV2FamilyUnix && (transport == kV2TransportStream || transport == kV2TransportDgram);
}

ProxyAddresses ReadInetAddresses(const uint8_t* block, uint8_t family) {
  ProxyAddresses addresses;
  if (family == kV2FamilyInet) {
    uint8_t source[4], destination[4];
    std::memcpy(source, block, 4);
    std::memcpy(destination, block + 4, 4);
    addresses.source.address = MappedIpv4(source);
    addresses.destination.address = MappedIpv4(destination);
    block += 8;
  } else {
    std::memcpy(addresses.source.address.data(), block, 16);
    std::memcpy(addresses.destination.address.data(), block + 16, 16);
    block += 32;
  }
  addresses.source.port = ReadBigEndian16(block);
  addresses.destination.port = ReadBigEndian16(block + 2);
  return addresses;
}

// The CRC-32C of `header` with the four bytes at `zeroed_from` taken as zero.
uint32_t Crc32cWithFieldZeroed(std::span<const uint8_t> header, size_t zeroed_from) {
  constexpr std::string_view kZeroField("\0\0\0\0", 4);
  const std::string_view text(reinterpret_cast<const char*>(header.data()), header.size());
  uint32_t crc = Crc32c(text.substr(0, zeroed_from));
  crc = Crc32c(kZeroField, crc);
  return Crc32c(text.substr(zeroed_from + kZeroField.size()), crc);
}

// The spec: a receiver that supports the checksum must verify it, computed over the whole header
// with the checksum's own four bytes taken as zero.
std::optional<std::string> CheckCrc32c(std::span<const uint8_t> header, size_t value_offset, size_t length) {
  if (length != 4) return absl::StrCat("v2 CRC32C TLV has ", length, " bytes, not 4");
  const uint32_t sent = (uint32_t{header[value_offset]} << 24) | (uint32_t{header[value_offset + 1]} << 16) |
                        (uint32_t{header[value_offset + 2]} << 8) | header[value_offset + 3];
  if (Crc32cWithFieldZeroed(header, value_offset) != sent) return std::string("v2 header fails its CRC32C checksum");
  return std::nullopt;
}

// TLVs are skipped, but each must lie inside the declared length: a header whose TLVs overrun it is
// corrupt (or lies about its length) and everything after it would be misread. A CRC32C TLV is
// checked.
std::optional<std::string> CheckTlvs(std::span<const uint8_t> header, size_t tlvs_offset) {
  size_t at = tlvs_offset;
  while (at < header.size()) {
    const size_t left = header.size() - at;
    if (left < kV2TlvHeaderSize) return absl::StrCat("v2 header ends inside a TLV header (", left, " bytes left)");
    const uint8_t type = header[at];
    const size_t length = ReadBigEndian16(header.data() + at + 1);
    if (length > left - kV2TlvHeaderSize) {
      return absl::StrFormat("v2 TLV of type 0x%02x claims %d bytes, only %d left in the header", type, length,
                             left - kV2TlvHeaderSize);
    }
    if (type == kV2TypeCrc32c) {
      if (std::optional<std::string> bad = CheckCrc32c(header, at + kV2TlvHeaderSize, length)) return bad;
    }
    at += kV2TlvHeaderSize + length;
  }
  return std::nullopt;
}

ProxyParseResult ParseV2(std::span<const uint8_t> received) {
  if (!MatchesSoFar(received, kV2Signature)) return Invalid("v2 header signature is wrong");
  if (received.size() < kProxyV2FixedSize) return NeedMore();
  const uint8_t version = received[12] >> 4;
  const uint8_t command = received[12] & 0x0f;
  const uint8_t family = received[13] >> 4;
  const uint8_t transport = received[13] & 0x0f;
  const size_t length = ReadBigEndian16(received.data() + 14);
  if (version != 2) return Invalid(absl::StrCat("v2 header has version ", version, ", not 2"));
  if (command != kV2CommandLocal && command != kV2CommandProxy) {
    return Invalid(absl::StrCat("v2 header has command ", command, ", neither LOCAL (0) nor PROXY (1)"));
  }
  const bool proxied = command == kV2CommandProxy;
  // LOCAL: the spec has the receiver ignore the family, like the rest of the block.
  if (proxied && !ValidFamilyAndTransport(family, transport)) {
    return Invalid(absl::StrFormat("v2 header has family/transport 0x%02x", received[13]));
  }
  if (length > kProxyV2MaxPayloadSize) {
    return Invalid(absl::StrCat("v2 header claims ", length, " bytes after its first 16, more than the ",
                                kProxyV2MaxPayloadSize, " accepted"));
  }
  // Checked before the payload arrives: a header too short for its own addresses is refused at once.
  if (proxied && length < AddressBlockSize(family)) {
    return Invalid(absl::StrCat("v2 header claims ", length, " bytes after its first 16, too few for its ",
                                AddressBlockSize(family), " bytes of addresses"));
  }
  if (proxied && transport == kV2TransportDgram) {
    return Invalid("v2 header forwards a datagram (UDP) connection to a stream listener");
  }
  const size_t header_size = kProxyV2FixedSize + length;
  if (received.size() < header_size) return NeedMore();
  ProxyHeader header;
  header.version = 2;
  // LOCAL: the balancer speaks for itself (a health check); the spec says to skip the block unread.
  if (!proxied) return Complete(header, header_size);
  const std::span<const uint8_t> whole = received.first(header_size);
  if (std::optional<std::string> bad_tlv = CheckTlvs(whole, kProxyV2FixedSize + AddressBlockSize(family))) {
    return Invalid(std::move(*bad_tlv));
  }
  if (family == kV2FamilyInet || family == kV2FamilyInet6) {
    header.addresses = ReadInetAddresses(whole.data() + kProxyV2FixedSize, family);
  }
  return Complete(header, header_size);
}

}  // namespace

ProxyParseResult ParseProxyHeader(std::span<const uint8_t> received) {
  if (received.empty()) return NeedMore();
  // The two signatures differ in their first byte, so one byte is enough to choose.
  if (received[0] == kV1Prefix[0]) return ParseV1(received);
  if (received[0] == kV2Signature[0]) return ParseV2(received);
  return Invalid(absl::StrFormat("the connection does not start with a PROXY protocol header (first byte 0x%02x)",
                                 received[0]));
}

std::string ProxyAddressText(const std::array<uint8_t, 16>& address) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    return absl::StrCat(address[12], ".", address[13], ".", address[14], ".", address[15]);
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, address.data(), text, sizeof(text));
  return text;
}

}  // namespace ringmq
