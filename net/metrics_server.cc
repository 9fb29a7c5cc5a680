#include "net/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/http_request.h"
#include "core/prometheus_text.h"
#include "net/log.h"
#include "net/monotonic_clock.h"

namespace ringmq {
namespace {

constexpr int kPollIntervalMs = 250;  // deadlines are checked at least this often

absl::StatusOr<int> OpenListeningSocket(ListenAddress& address) {
  sockaddr_storage storage{};
  socklen_t size = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    size = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    size = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--metrics_listen: not a numeric IPv4/IPv6 address: ", address.host));
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("--metrics_listen: socket(): ", std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (storage.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&storage), size) != 0 || listen(fd, 64) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("--metrics_listen: cannot listen on ", address.ToString(), ": ", std::strerror(err)));
  }
  socklen_t bound_size = sizeof(storage);
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &bound_size);
  address.port = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return fd;
}

std::string HttpResponse(const std::string& status, const std::string& content_type, const std::string& body,
                         const std::string& extra_headers = {}) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                      "\r\n", extra_headers, "Connection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(ListenAddress& address, Render render) {
  absl::StatusOr<int> listen_fd = OpenListeningSocket(address);
  if (!listen_fd.ok()) return listen_fd.status();
  const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    close(*listen_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer(*listen_fd, stop_fd, std::move(render)));
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  return server;
}

MetricsServer::MetricsServer(int listen_fd, int stop_fd, Render render)
    : listen_fd_(listen_fd), stop_fd_(stop_fd), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  for (Client& client : clients_) close(client.fd);
  close(listen_fd_);
  close(stop_fd_);
}

void MetricsServer::Serve() {
  std::vector<pollfd> polled;
  for (;;) {
    polled.clear();
    polled.push_back({stop_fd_, POLLIN, 0});
    polled.push_back({listen_fd_, POLLIN, 0});
    for (const Client& client : clients_) {
      polled.push_back({client.fd, static_cast<short>(client.response.empty() ? POLLIN : POLLOUT), 0});
    }
    poll(polled.data(), polled.size(), kPollIntervalMs);
    if (polled[0].revents != 0) return;
    const int64_t now_ms = MonotonicMs();
    // Clients first (their pollfds follow the two fixed ones, in order), then new ones.
    std::vector<Client> kept;
    for (size_t i = 0; i < clients_.size(); ++i) {
      Client& client = clients_[i];
      const short events = polled[i + 2].revents;
      bool open = now_ms < client.deadline_ms;
      if (open && events != 0) open = client.response.empty() ? ReadRequest(client) : WriteResponse(client);
      if (open) {
        kept.push_back(std::move(client));
      } else {
        close(client.fd);
      }
    }
    clients_ = std::move(kept);
    if (polled[1].revents != 0) AcceptClients();
  }
}

void MetricsServer::AcceptClients() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: none left; anything else: try again at the next poll
    if (clients_.size() >= kMaxClients) {
      close(fd);
      continue;
    }
    clients_.push_back(Client{fd, MonotonicMs() + kRequestTimeoutMs, {}, {}, 0});
  }
}

bool MetricsServer::ReadRequest(Client& client) {
  std::array<char, 4096> buffer;
  const ssize_t n = recv(client.fd, buffer.data(), buffer.size(), 0);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  client.request.append(buffer.data(), static_cast<size_t>(n));
  const HttpHead head = ParseHttpRequestHead(client.request);
  if (client.request.size() > kMaxRequestBytes) {
    client.response = HttpResponse("431 Request Header Fields Too Large", "text/plain", "request head too large\n");
  } else if (head.status == HttpHeadStatus::kIncomplete) {
    return true;
  } else if (head.status == HttpHeadStatus::kMalformed) {
    client.response = HttpResponse("400 Bad Request", "text/plain", "not an HTTP/1.x request\n");
  } else if (head.request.path != "/metrics") {
    client.response = HttpResponse("404 Not Found", "text/plain", "only /metrics is served here\n");
  } else if (head.request.method != "GET") {
    client.response = HttpResponse("405 Method Not Allowed", "text/plain", "only GET\n", "Allow: GET\r\n");
  } else {
    client.response = HttpResponse("200 OK", std::string(kPrometheusTextContentType), render_());
  }
  shutdown(client.fd, SHUT_RD);  // one request per connection: anything more is not read
  return WriteResponse(client);
}

bool MetricsServer::WriteResponse(Client& client) {
  while (client.sent < client.response.size()) {
    const ssize_t n = send(client.fd, client.response.data() + client.sent, client.response.size() - client.sent,
                           MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    client.sent += static_cast<size_t>(n);
  }
  return false;  // all sent: close
}

}  // namespace ringmq
