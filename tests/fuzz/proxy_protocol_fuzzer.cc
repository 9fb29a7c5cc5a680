// libFuzzer target: ParseProxyHeader (core/proxy_protocol.h), the first bytes of a connection on a
// PROXY protocol listener, which anyone reaching the listener can send.
// Checks: the input cut at every offset (bytes trickling in) gives one consistent answer - kNeedMore
// until it becomes kComplete (always the same header and size) or kInvalid (for good); a complete
// header lies inside the bounds of its version; and its addresses, written out again as a v1 line and
// as a v2 header, parse back to the same addresses.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/proxy_protocol.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ringmq::ProxyAddresses;
using ringmq::ProxyParseResult;
using ringmq::ProxyParseStatus;

bool IsMappedIpv4(const std::array<uint8_t, 16>& address) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(std::begin(kPrefix), std::end(kPrefix), address.begin());
}

ProxyParseResult ParseText(const std::string& text) {
  return ringmq::ParseProxyHeader({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// An address as a v1 line of the given protocol writes it: a TCP6 line writes an IPv4-mapped address in
// its IPv6 form, since ProxyAddressText gives dotted decimal alone.
std::string V1Text(const std::array<uint8_t, 16>& address, bool tcp4) {
  const std::string text = ringmq::ProxyAddressText(address);
  return !tcp4 && IsMappedIpv4(address) ? "::ffff:" + text : text;
}

void CheckV1RoundTrip(const ProxyAddresses& addresses) {
  const bool ipv4 = IsMappedIpv4(addresses.source.address) && IsMappedIpv4(addresses.destination.address);
  const std::string line = std::string("PROXY ") + (ipv4 ? "TCP4 " : "TCP6 ") +
                           V1Text(addresses.source.address, ipv4) + " " + V1Text(addresses.destination.address, ipv4) +
                           " " +
                           std::to_string(addresses.source.port) + " " + std::to_string(addresses.destination.port) +
                           "\r\n";
  const ProxyParseResult again = ParseText(line);
  FUZZ_CHECK(again.status == ProxyParseStatus::kComplete);
  FUZZ_CHECK(again.header_size == line.size());
  FUZZ_CHECK(again.header.addresses == addresses);
}

void CheckV2RoundTrip(const ProxyAddresses& addresses) {
  std::vector<uint8_t> header = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                                 0x21, 0x21, 0x00, 36};  // PROXY, TCP over IPv6, 36 bytes
  header.insert(header.end(), addresses.source.address.begin(), addresses.source.address.end());
  header.insert(header.end(), addresses.destination.address.begin(), addresses.destination.address.end());
  for (uint16_t port : {addresses.source.port, addresses.destination.port}) {
    header.push_back(static_cast<uint8_t>(port >> 8));
    header.push_back(static_cast<uint8_t>(port & 0xff));
  }
  const ProxyParseResult again = ringmq::ParseProxyHeader(header);
  FUZZ_CHECK(again.status == ProxyParseStatus::kComplete);
  FUZZ_CHECK(again.header.addresses == addresses);
}

void CheckComplete(const ProxyParseResult& result, std::span<const uint8_t> input) {
  FUZZ_CHECK(result.header_size > 0 && result.header_size <= input.size());
  if (result.header.version == 1) {
    FUZZ_CHECK(result.header_size <= ringmq::kProxyV1MaxHeaderSize);
    FUZZ_CHECK(input[result.header_size - 2] == '\r' && input[result.header_size - 1] == '\n');
  } else {
    FUZZ_CHECK(result.header.version == 2);
    FUZZ_CHECK(result.header_size >= ringmq::kProxyV2FixedSize);
    FUZZ_CHECK(result.header_size <= ringmq::kProxyV2FixedSize + ringmq::kProxyV2MaxPayloadSize);
  }
  if (result.header.addresses.has_value()) {
    CheckV1RoundTrip(*result.header.addresses);
    CheckV2RoundTrip(*result.header.addresses);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // No header is longer than this: bytes past it cannot change the answer, and the cut loop is quadratic.
  const size_t kept = std::min(size, ringmq::kProxyV2FixedSize + ringmq::kProxyV2MaxPayloadSize + 64);
  const std::span<const uint8_t> input(data, kept);
  const ProxyParseResult whole = ringmq::ParseProxyHeader(input);
  if (whole.status == ProxyParseStatus::kInvalid) FUZZ_CHECK(!whole.reason.empty());
  if (whole.status == ProxyParseStatus::kComplete) CheckComplete(whole, input);
  // Bytes trickling in: every cut before the first final answer needs more, and that first final
  // answer is the whole input's (so it stays final whatever follows).
  size_t cut = 0;
  ProxyParseResult part = ringmq::ParseProxyHeader(input.first(cut));
  while (part.status == ProxyParseStatus::kNeedMore && cut < kept) {
    part = ringmq::ParseProxyHeader(input.first(++cut));
  }
  FUZZ_CHECK(part.status == whole.status);
  if (part.status == ProxyParseStatus::kComplete) {
    FUZZ_CHECK(part.header_size == whole.header_size && part.header == whole.header);
    FUZZ_CHECK(cut == whole.header_size);  // complete exactly when its last byte arrives
  }
  return 0;
}
