#include "net/transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <array>
#include <ctime>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/transport/openssl_error.h"

namespace ringmq {
namespace {

// Session ids, and so resumed sessions, are tied to this context id: OpenSSL refuses to resume a
// session of a verified client without one. One constant for all listeners and reloads, because the
// ticket keys (not the id) decide which tickets a context accepts.
constexpr std::string_view kSessionIdContext = "ringmq";

// RFC 8446 4.6.1: a TLS 1.3 ticket lifetime must not exceed seven days.
constexpr uint32_t kMaxSessionLifetimeS = 7 * 86400;

// The 80 bytes OpenSSL keeps per SSL_CTX to seal stateless tickets: name, HMAC key, AES key.
using TicketKeys = std::array<unsigned char, 80>;

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

absl::StatusOr<int> ProtocolFloor(const std::string& min_version) {
  if (min_version == "1.2") return TLS1_2_VERSION;
  if (min_version == "1.3") return TLS1_3_VERSION;
  return absl::InvalidArgumentError(
      absl::StrCat("TLS minimum version \"", min_version, "\" is not supported (use 1.2 or 1.3)"));
}

// OpenSSL checks the key against the certificate as it loads it; these are its two ways to say no.
bool IsKeyMismatch(unsigned long error) {
  return ERR_GET_LIB(error) == ERR_LIB_X509 &&
         (ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH || ERR_GET_REASON(error) == X509_R_KEY_TYPE_MISMATCH);
}

absl::Status KeyMismatchError(const TlsOptions& options) {
  return OpenSslError(absl::StrCat("TLS private key ", options.key_file, " does not match certificate ",
                                   options.cert_file));
}

absl::Status LoadCertificateAndKey(SSL_CTX* ctx, const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a key file");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return OpenSslError(absl::StrCat("cannot load TLS certificate chain ", options.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (IsKeyMismatch(ERR_peek_last_error())) return KeyMismatchError(options);
    return OpenSslError(absl::StrCat("cannot load TLS private key ", options.key_file));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return KeyMismatchError(options);
  return absl::OkStatus();
}

absl::Status ApplyCiphers(SSL_CTX* ctx, const TlsOptions& options) {
  if (!options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    return OpenSslError(absl::StrCat("invalid TLS 1.2 cipher list \"", options.ciphers, "\""));
  }
  if (!options.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, options.ciphersuites.c_str()) != 1) {
    return OpenSslError(absl::StrCat("invalid TLS 1.3 ciphersuites \"", options.ciphersuites, "\""));
  }
  return absl::OkStatus();
}

// With a CA file, a client certificate is asked for and, if presented, must chain to it; with
// require_client_cert, a client without one is refused.
absl::Status ApplyClientCertificatePolicy(SSL_CTX* ctx, const TlsOptions& options) {
  if (options.ca_file.empty()) {
    if (options.require_client_cert) {
      return absl::InvalidArgumentError("requiring TLS client certificates needs a CA file to verify them");
    }
    return absl::OkStatus();
  }
  if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    return OpenSslError(absl::StrCat("cannot load TLS CA file ", options.ca_file));
  }
  // The CA names go in the CertificateRequest so that a client holding several certificates picks one
  // this CA signed.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
  if (names == nullptr) return OpenSslError(absl::StrCat("cannot read CA names from ", options.ca_file));
  SSL_CTX_set_client_CA_list(ctx, names);
  int mode = SSL_VERIFY_PEER;
  if (options.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return absl::OkStatus();
}

// Stateless tickets for TLS 1.3 and 1.2, sealed with the context's keys: any shard resumes any
// shard's sessions, and the server keeps no per-session state. The shared session cache stays off:
// it would be a second, locked, per-process store that tickets make unnecessary.
//
// One TLS 1.3 ticket per handshake instead of OpenSSL's two: a device reconnects over one connection
// at a time and so uses one ticket, and each ticket costs the server a session copy and an encryption
// (resumed handshakes took 25 % less server CPU with one; build/bench/net/tls_bench).
absl::Status EnableStatelessResumption(SSL_CTX* ctx, uint32_t lifetime_s) {
  if (lifetime_s == 0 || lifetime_s > kMaxSessionLifetimeS) {
    return absl::InvalidArgumentError(absl::StrCat("TLS session lifetime ", lifetime_s, " s is out of range (1 to ",
                                                   kMaxSessionLifetimeS, ")"));
  }
  SSL_CTX_set_timeout(ctx, static_cast<long>(lifetime_s));
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
                                 kSessionIdContext.size());
  return absl::OkStatus();
}

absl::Status LoadTicketKeys(SSL_CTX* ctx, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot read TLS ticket key file ", path));
  TicketKeys keys;
  file.read(reinterpret_cast<char*>(keys.data()), keys.size());
  if (static_cast<size_t>(file.gcount()) != keys.size() || file.get() != std::ifstream::traits_type::eof()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS ticket key file ", path, " must hold exactly ", keys.size(),
                                                   " bytes (make one with: openssl rand 80)"));
  }
  if (SSL_CTX_set_tlsext_ticket_keys(ctx, keys.data(), keys.size()) != 1) {
    return OpenSslError(absl::StrCat("cannot use the TLS ticket keys of ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<SslCtxPtr> BuildSslCtx(const TlsOptions& options) {
  absl::StatusOr<int> floor = ProtocolFloor(options.min_version);
  if (!floor.ok()) return floor.status();
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return OpenSslError("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), *floor);
  // Renegotiation (TLS 1.2) lets a client make the server redo expensive handshakes at will and is
  // not needed by MQTT; the server's cipher order protects operators' --tls_ciphers choices, except
  // that a client putting ChaCha20 first (a device without AES instructions) gets it.
  SSL_CTX_set_options(ctx.get(),
                      SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
  // Idle connections give their 16 KiB+ record buffers back; a fleet is mostly idle connections.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_dh_auto(ctx.get(), 1);
  if (absl::Status status = LoadCertificateAndKey(ctx.get(), options); !status.ok()) return status;
  if (absl::Status status = ApplyCiphers(ctx.get(), options); !status.ok()) return status;
  if (absl::Status status = ApplyClientCertificatePolicy(ctx.get(), options); !status.ok()) return status;
  if (absl::Status status = EnableStatelessResumption(ctx.get(), options.session_lifetime_s); !status.ok()) {
    return status;
  }
  if (!options.ticket_key_file.empty()) {
    if (absl::Status status = LoadTicketKeys(ctx.get(), options.ticket_key_file); !status.ok()) return status;
  }
  return ctx;
}

std::string DescribeCertificate(X509* certificate) {
  char common_name[256] = "none";
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common_name, sizeof(common_name));
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  std::tm expiry{};
  char expires[32] = "?";
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expiry) == 1) {
    std::strftime(expires, sizeof(expires), "%Y-%m-%d %H:%M UTC", &expiry);
  }
  // An expired certificate still loads (clients that do not check dates keep working), but says so.
  const bool expired = X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0;
  return absl::StrCat("certificate CN=", common_name, " (", key != nullptr ? EVP_PKEY_get0_type_name(key) : "?", " ",
                      key != nullptr ? EVP_PKEY_get_bits(key) : 0, " bits, ", expired ? "EXPIRED " : "expires ",
                      expires, ")");
}

std::string Describe(SSL_CTX* ctx, const TlsOptions& options) {
  std::string clients = "client certificates not asked for";
  if (!options.ca_file.empty()) {
    clients = absl::StrCat("client certificates ", options.require_client_cert ? "required" : "verified if presented",
                           " (CA file ", options.ca_file, ")");
  }
  return absl::StrCat(DescribeCertificate(SSL_CTX_get0_certificate(ctx)), ", TLS ", options.min_version, "+, ",
                      clients, options.ticket_key_file.empty() ? "" : ", ticket keys from ", options.ticket_key_file);
}

absl::StatusOr<std::shared_ptr<const TlsContext>> Finish(SslCtxPtr ctx, const TlsOptions& options) {
  std::string description = Describe(ctx.get(), options);
  // Probed at every load, so that an operator who loads the kernel's tls module sees it after a reload.
  return std::make_shared<const TlsContext>(ctx.release(), options, ProbeKernelTls(), std::move(description));
}

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::shared_ptr<const TlsContext>> LoadTlsContext(const TlsOptions& options) {
  absl::StatusOr<SslCtxPtr> ctx = BuildSslCtx(options);
  if (!ctx.ok()) return ctx.status();
  return Finish(*std::move(ctx), options);
}

absl::StatusOr<std::shared_ptr<const TlsContext>> ReloadTlsContext(const TlsOptions& options,
                                                                   const TlsContext& previous) {
  absl::StatusOr<SslCtxPtr> ctx = BuildSslCtx(options);
  if (!ctx.ok()) return ctx.status();
  if (!options.ticket_key_file.empty()) return Finish(*std::move(ctx), options);  // the file's keys rule
  TicketKeys keys;
  if (SSL_CTX_get_tlsext_ticket_keys(previous.ssl_ctx(), keys.data(), keys.size()) != 1 ||
      SSL_CTX_set_tlsext_ticket_keys(ctx->get(), keys.data(), keys.size()) != 1) {
    return OpenSslError("cannot carry the TLS session-ticket keys over to the reloaded context");
  }
  return Finish(*std::move(ctx), options);
}

absl::Status TlsContextHolder::Reload() {
  std::shared_ptr<const TlsContext> current = Current();
  absl::StatusOr<std::shared_ptr<const TlsContext>> next = ReloadTlsContext(current->options(), *current);
  if (!next.ok()) return next.status();
  absl::MutexLock lock(&mutex_);
  context_ = *std::move(next);
  return absl::OkStatus();
}

}  // namespace ringmq
