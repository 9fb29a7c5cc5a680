// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a load balancer
// writes before the first byte of a connection it forwards, so that the server learns the client's
// address instead of the balancer's. Version 1 is one text line ("PROXY TCP4 src dst sport dport\r\n",
// at most 107 bytes); version 2 is binary (a 12-byte signature, then version/command, family/transport,
// a length, the addresses and optional TLVs, of which a CRC32C checksum is verified).
//
// The parser takes every byte received so far and says whether they hold a whole header, need more,
// or can never become one; it keeps no state, so the caller may call it again as bytes trickle in (one
// at a time included). A malformed header is refused as soon as the bytes seen prove it malformed.
//
// Thread ownership: pure functions; the results are plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ringmq {

// Longest version 1 header, CRLF included (the spec's bound: "PROXY UNKNOWN" + two IPv6 addresses).
inline constexpr size_t kProxyV1MaxHeaderSize = 107;
// The fixed part of a version 2 header: signature, version/command, family/transport, length.
inline constexpr size_t kProxyV2FixedSize = 16;
// Most bytes a version 2 header may declare after its fixed part: addresses plus TLVs. The spec allows
// 65535; balancers send far less (addresses are at most 216 bytes, the TLVs of HAProxy's SSL details,
// AWS's VPC endpoint or GCP's PSC id a few hundred), so a larger claim is refused instead of held.
inline constexpr size_t kProxyV2MaxPayloadSize = 4096;

// One end of the proxied connection. IPv4 is kept as IPv6 in its mapped form (::ffff:a.b.c.d), the
// form the broker's per-address counts use (net/connection_limits.h's PeerAddress).
struct ProxyEndpoint {
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;
  friend bool operator==(const ProxyEndpoint&, const ProxyEndpoint&) = default;
};

struct ProxyAddresses {
  ProxyEndpoint source;       // the client, as the balancer saw it
  ProxyEndpoint destination;  // the address the client connected to (the balancer's listener)
  friend bool operator==(const ProxyAddresses&, const ProxyAddresses&) = default;
};

struct ProxyHeader {
  uint8_t version = 0;  // 1 or 2
  // The proxied endpoints; nullopt when the header names none the broker can use: version 1 UNKNOWN,
  // version 2 LOCAL (the balancer's own health check), or the UNSPEC or UNIX families. The socket's
  // own addresses stand then, as the spec asks.
  std::optional<ProxyAddresses> addresses;
  friend bool operator==(const ProxyHeader&, const ProxyHeader&) = default;
};

enum class ProxyParseStatus : uint8_t {
  kNeedMore,  // a valid beginning of a header: wait for more bytes
  kComplete,  // `header` and `header_size` are set; the connection's own bytes follow the header
  kInvalid,   // never a valid header whatever follows: `reason` says why
};

struct ProxyParseResult {
  ProxyParseStatus status = ProxyParseStatus::kNeedMore;
  ProxyHeader header;
  size_t header_size = 0;
  std::string reason;  // for one log line
};

// Parses the bytes a connection has received so far as a PROXY protocol header of either version.
ProxyParseResult ParseProxyHeader(std::span<const uint8_t> received);

// The address as logs show it: dotted decimal for IPv4 (also when it came as ::ffff:a.b.c.d), RFC 5952
// text for IPv6.
std::string ProxyAddressText(const std::array<uint8_t, 16>& address);

}  // namespace ringmq
