// TLS for ringmq-bench connections: OpenSSL over memory BIOs, driven by the worker's own ring (the
// worker receives ciphertext and sends what the stream produces; no SSL_read/SSL_write on the fd and
// no extra thread).
//
// TlsClientContext holds the worker's SSL_CTX (CA, optional client certificate) and, with
// --tls_session_resumption, the newest session ticket the broker gave any of the worker's
// connections: every later connection offers it, as a fleet reconnecting after a broker restart does.
//
// Thread ownership: one TlsClientContext per worker, used by that worker's thread only (created on the
// main thread before the worker starts); a TlsClientStream belongs to its connection's worker.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/bench_config.h"
#include "tools/bench/client_stream.h"

namespace ringmq::bench {

class TlsClientContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(const BenchConfig& config);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A new SSL in client state checking the broker's certificate against config.host, offering the
  // cached session when resumption is on.
  SSL* NewSsl();

 private:
  TlsClientContext() = default;
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);

  SSL_CTX* ctx_ = nullptr;
  SSL_SESSION* cached_session_ = nullptr;  // owned; the newest ticket (resumption on)
  bool resumption_ = false;
  std::string host_;
  bool host_is_ip_ = false;
};

class TlsClientStream final : public ClientStream {
 public:
  explicit TlsClientStream(TlsClientContext& context);
  ~TlsClientStream() override;

  absl::Status Start(std::string& wire_out) override;
  absl::Status Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) override;
  absl::Status Send(std::string_view app, std::string& wire_out) override;
  bool established() const override { return established_; }
  TlsHandshake tls_handshake() const override { return handshake_; }

 private:
  absl::Status Handshake(std::string& wire_out);
  absl::Status WritePlain(std::string_view app);
  absl::Status ReadPlain(std::string& app_in);
  void DrainCiphertext(std::string& wire_out);
  absl::Status Failure(std::string_view during, int ssl_result);

  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // ciphertext received, read by OpenSSL (owned by ssl_)
  BIO* network_out_ = nullptr;  // ciphertext OpenSSL wrote, to be sent (owned by ssl_)
  bool established_ = false;
  TlsHandshake handshake_ = TlsHandshake::kNone;
  std::string held_;  // application bytes given before the handshake finished
};

}  // namespace ringmq::bench
