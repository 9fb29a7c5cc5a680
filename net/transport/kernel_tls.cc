#include "net/transport/kernel_tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ringmq {
namespace {

std::string ReadFirstLine(const char* path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

KernelTlsSupport ProbeKernelTls() {
  std::string ulps = ReadFirstLine("/proc/sys/net/ipv4/tcp_available_ulp");
  if (ulps.empty()) ulps = "none";
  bool listed = false;
  for (absl::string_view name : absl::StrSplit(ulps, ' ', absl::SkipEmpty())) listed |= name == "tls";
  // The module may load on demand even when not listed yet: ask the kernel on a socket that is not
  // connected. ENOTCONN means the "tls" ULP exists (it attaches only to established sockets).
  bool attachable = false;
  if (int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); fd >= 0) {
    attachable = setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3) == 0 || errno == ENOTCONN;
    close(fd);
  }
  KernelTlsSupport support;
  support.available = listed || attachable;
  // Records are encrypted in user space either way for now; the line says what an operator could gain.
  support.description =
      support.available
          ? absl::StrCat("kernel TLS available (tcp_available_ulp: ", ulps, ") but not used yet: user-space TLS")
          : absl::StrCat("kernel TLS unavailable (tcp_available_ulp: ", ulps, "): user-space TLS");
  return support;
}

}  // namespace ringmq
