// A TLS listener's server configuration: certificate chain, key, protocol floor, ciphers, client
// certificate policy and session-ticket keys, loaded once into an OpenSSL SSL_CTX that every shard's
// connections are created from. Reloaded on SIGHUP through TlsContextHolder.
//
// Thread ownership: a TlsContext is immutable once loaded and shared by all shard threads
// (shared_ptr<const TlsContext>); OpenSSL makes creating SSL objects from one SSL_CTX thread-safe.
// A TlsContextHolder is shared too: shards read it at accept, the main thread replaces it on SIGHUP.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "net/transport/kernel_tls.h"

namespace ringmq {

struct TlsOptions {
  std::string cert_file;  // PEM: the server certificate first, then its intermediates
  std::string key_file;   // PEM private key of that certificate
  std::string ca_file;    // PEM CA certificates that client certificates must chain to; empty: none
  bool require_client_cert = false;  // mutual TLS: refuse a client without a certificate ca_file verifies
  std::string min_version = "1.2";   // "1.2" or "1.3"
  std::string ciphers;       // OpenSSL cipher list for TLS 1.2; empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 suites, e.g. "TLS_AES_128_GCM_SHA256"; empty: OpenSSL's default
  // 80 secret bytes (`openssl rand 80`, nginx's format) sealing session tickets, so that tickets
  // survive a broker restart and are shared by brokers behind one balancer; re-read on reload (a
  // rotation). Empty: random keys made at start-up, kept across reloads, lost at restart.
  std::string ticket_key_file;
  // How long a session ticket resumes. A day, not OpenSSL's two hours, so that a fleet reconnecting
  // after a broker restart or an outage resumes; TLS 1.3 connections get a fresh ticket every half
  // lifetime, so even a device connected for weeks holds a valid one. At most 7 days (RFC 8446).
  uint32_t session_lifetime_s = 86400;
};

class TlsContext {
 public:
  // Takes over `ctx` (LoadTlsContext makes it).
  TlsContext(SSL_CTX* ctx, TlsOptions options, KernelTlsSupport kernel_tls, std::string description)
      : ctx_(ctx),
        options_(std::move(options)),
        kernel_tls_(std::move(kernel_tls)),
        description_(std::move(description)) {}
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Non-const because SSL_new takes it so; SSL_new only takes a reference, which OpenSSL makes atomic.
  SSL_CTX* ssl_ctx() const { return ctx_; }
  const TlsOptions& options() const { return options_; }
  bool kernel_tls_available() const { return kernel_tls_.available; }
  const std::string& kernel_tls_description() const { return kernel_tls_.description; }
  // For the start-up and SIGHUP log lines, e.g. "certificate CN=broker.example (EC 256 bits, expires
  // 2027-03-01), TLS 1.2+, client certificates required (CA file /etc/ringmq/ca.pem)".
  const std::string& description() const { return description_; }

 private:
  SSL_CTX* const ctx_;
  const TlsOptions options_;
  const KernelTlsSupport kernel_tls_;
  const std::string description_;
};

// Reads the files and builds the context. Errors name the file or option at fault.
absl::StatusOr<std::shared_ptr<const TlsContext>> LoadTlsContext(const TlsOptions& options);

// As LoadTlsContext, but without a ticket key file the new context takes over `previous`'s
// session-ticket keys, so clients holding tickets from before a reload still resume.
absl::StatusOr<std::shared_ptr<const TlsContext>> ReloadTlsContext(const TlsOptions& options,
                                                                   const TlsContext& previous);

// The context new connections get. The mutex is taken once per accepted TLS connection and once per
// reload, never per byte: a connection keeps the context it was created from for its whole life.
class TlsContextHolder {
 public:
  explicit TlsContextHolder(std::shared_ptr<const TlsContext> initial) : context_(std::move(initial)) {}

  std::shared_ptr<const TlsContext> Current() const {
    absl::MutexLock lock(&mutex_);
    return context_;
  }

  // Re-reads the files of the current context's options. On error the current context stays and the
  // error is returned for the caller to log.
  absl::Status Reload();

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const TlsContext> context_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ringmq
