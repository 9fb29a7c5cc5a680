// Whether this kernel can take over TLS record encryption (kTLS, the "tls" TCP upper-layer protocol),
// for the listener's log line. The broker does not hand keys to the kernel yet: OpenSSL cannot do it
// over memory BIOs, so it would mean installing the TLS 1.3 traffic keys with setsockopt(SOL_TLS).
// Thread ownership: none (a probe and a value).
#pragma once

#include <string>

namespace ringmq {

struct KernelTlsSupport {
  bool available = false;
  std::string description;  // e.g. "kernel TLS unavailable (tcp_available_ulp: mptcp): user-space TLS"
};

// Reads /proc/sys/net/ipv4/tcp_available_ulp and tries the "tls" ULP on a throwaway socket.
KernelTlsSupport ProbeKernelTls();

}  // namespace ringmq
