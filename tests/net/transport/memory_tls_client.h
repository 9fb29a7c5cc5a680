// The client end of a TLS connection in memory (OpenSSL with two BIO_s_mem), for driving a server
// StreamTransform without sockets in tests and benchmarks: it verifies the server as a real device
// would (CA, host name "localhost") and can present a client certificate and resume a session.
// Thread ownership: one test's; not shared.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "net/transport/stream_transform.h"
#include "tests/net/transport/test_pki.h"

namespace ringmq::testing {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslSessionDeleter {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionDeleter>;

// A client context trusting `ca_file`, presenting `certificate` when not null, speaking at most
// `max_version` (e.g. TLS1_2_VERSION; 0: the highest).
SslCtxPtr NewClientContext(const std::string& ca_file, const Credential* certificate = nullptr, int max_version = 0);

class MemoryTlsClient {
 public:
  // `resume`: a session from an earlier connection to offer for resumption (not taken over).
  explicit MemoryTlsClient(SSL_CTX* ctx, SSL_SESSION* resume = nullptr);
  ~MemoryTlsClient();
  MemoryTlsClient(const MemoryTlsClient&) = delete;
  MemoryTlsClient& operator=(const MemoryTlsClient&) = delete;

  // Advances the handshake, or after it reads every record available into received().
  void Process();
  void Write(std::string_view plaintext);
  void Shutdown();  // queues close_notify

  void Feed(std::string_view ciphertext);  // from the server
  std::string TakeCiphertext();            // for the server

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }  // OpenSSL's reasons, e.g. "tlsv13 alert certificate required"
  bool peer_closed() const { return peer_closed_; }
  std::string& received() { return received_; }
  SSL* ssl() const { return ssl_; }
  SslSessionPtr Session() const { return SslSessionPtr(SSL_get1_session(ssl_)); }

 private:
  void Fail(int error);

  SSL* ssl_;
  BIO* from_server_;  // owned by ssl_
  BIO* to_server_;    // owned by ssl_
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  std::string error_;
  std::string received_;
};

// Moves bytes between `client` and `server` until the client has nothing more to send (at most 16
// rounds). Plaintext the server decodes goes to `server_up`. Returns the server's first error; the
// client has by then read whatever the server answered (an alert, say).
absl::Status Exchange(MemoryTlsClient& client, StreamTransform& server, std::string& server_up);

// Sends `plaintext` from the server to the client and lets the client read it.
absl::Status ServerSend(StreamTransform& server, MemoryTlsClient& client, std::string_view plaintext);

std::span<const uint8_t> Bytes(std::string_view text);

}  // namespace ringmq::testing
