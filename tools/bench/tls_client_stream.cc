#include "tools/bench/tls_client_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>

#include "absl/strings/str_cat.h"

namespace ringmq::bench {
namespace {

constexpr size_t kReadChunk = 16 * 1024;  // one TLS record's plaintext at most

std::string OpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL error queued" : text;
}

absl::Status ContextError(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": ", OpenSslErrors()));
}

bool IsIpAddress(const std::string& host) {
  in6_addr scratch{};
  return inet_pton(AF_INET, host.c_str(), &scratch) == 1 || inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
}

int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(const BenchConfig& config) {
  std::unique_ptr<TlsClientContext> context(new TlsClientContext());
  context->ctx_ = SSL_CTX_new(TLS_client_method());
  if (context->ctx_ == nullptr) return ContextError("SSL_CTX_new");
  SSL_CTX* ctx = context->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle connections keep no read/write buffers: the generator holds thousands of them.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const bool loaded = config.tls_ca_file.empty()
                          ? SSL_CTX_set_default_verify_paths(ctx) == 1
                          : SSL_CTX_load_verify_locations(ctx, config.tls_ca_file.c_str(), nullptr) == 1;
  if (!loaded) return ContextError(absl::StrCat("cannot load CA certificates '", config.tls_ca_file, "'"));
  if (!config.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.tls_cert_file.c_str()) != 1) {
      return ContextError(absl::StrCat("cannot load --tls_cert_file '", config.tls_cert_file, "'"));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, config.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return ContextError(absl::StrCat("cannot load --tls_key_file '", config.tls_key_file, "'"));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) return ContextError("client key does not match the certificate");
  }
  context->resumption_ = config.tls_session_resumption;
  if (context->resumption_) {
    // Tickets arrive after the handshake (TLS 1.3): the callback keeps the newest one. Internal
    // storage is off: the context holds the one session itself.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &TlsClientContext::OnNewSession);
    SSL_CTX_set_ex_data(ctx, ContextIndex(), context.get());
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);  // no tickets to receive and throw away
  }
  context->host_ = config.host;
  context->host_is_ip_ = IsIpAddress(config.host);
  return context;
}

TlsClientContext::~TlsClientContext() {
  if (cached_session_ != nullptr) SSL_SESSION_free(cached_session_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

int TlsClientContext::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* context = static_cast<TlsClientContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextIndex()));
  if (context == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  if (context->cached_session_ != nullptr) SSL_SESSION_free(context->cached_session_);
  context->cached_session_ = session;
  return 1;  // we keep the reference OpenSSL handed us
}

SSL* TlsClientContext::NewSsl() {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_connect_state(ssl);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (host_is_ip_) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
    SSL_set_tlsext_host_name(ssl, host_.c_str());
  }
  if (resumption_ && cached_session_ != nullptr) SSL_set_session(ssl, cached_session_);
  return ssl;
}

TlsClientStream::TlsClientStream(TlsClientContext& context) : ssl_(context.NewSsl()) {
  if (ssl_ == nullptr) return;
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  // An empty memory BIO reports "retry" instead of end of file, so SSL_read says WANT_READ.
  BIO_set_mem_eof_return(network_in_, -1);
  SSL_set_bio(ssl_, network_in_, network_out_);
}

TlsClientStream::~TlsClientStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs
}

absl::Status TlsClientStream::Start(std::string& wire_out) {
  if (ssl_ == nullptr || network_in_ == nullptr || network_out_ == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a TLS connection: ", OpenSslErrors()));
  }
  return Handshake(wire_out);
}

absl::Status TlsClientStream::Handshake(std::string& wire_out) {
  const int result = SSL_do_handshake(ssl_);
  if (result != 1) {
    DrainCiphertext(wire_out);
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
    return Failure("TLS handshake", result);
  }
  established_ = true;
  handshake_ = SSL_session_reused(ssl_) ? TlsHandshake::kResumed : TlsHandshake::kFull;
  if (!held_.empty()) {
    const absl::Status written = WritePlain(held_);
    held_.clear();
    held_.shrink_to_fit();
    if (!written.ok()) return written;
  }
  DrainCiphertext(wire_out);
  return absl::OkStatus();
}

absl::Status TlsClientStream::Receive(std::span<const uint8_t> wire, std::string& app_in, std::string& wire_out) {
  if (!wire.empty() && BIO_write(network_in_, wire.data(), static_cast<int>(wire.size())) != static_cast<int>(wire.size())) {
    return absl::ResourceExhaustedError("cannot buffer received TLS bytes");
  }
  if (!established_) {
    if (absl::Status status = Handshake(wire_out); !status.ok()) return status;
    if (!established_) return absl::OkStatus();
  }
  const absl::Status read = ReadPlain(app_in);
  DrainCiphertext(wire_out);  // key updates, alerts
  return read;
}

absl::Status TlsClientStream::ReadPlain(std::string& app_in) {
  // Decrypted into a per-thread buffer and appended: growing app_in by a record's worth before each
  // read would zero 16 KiB per call, more than decrypting a small record costs.
  thread_local std::array<char, kReadChunk> plain;
  while (true) {
    size_t got = 0;
    const int result = SSL_read_ex(ssl_, plain.data(), plain.size(), &got);
    if (result == 1) {
      app_in.append(plain.data(), got);
      continue;
    }
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
    if (error == SSL_ERROR_ZERO_RETURN) return absl::UnavailableError("TLS close_notify from the broker");
    return Failure("TLS read", result);
  }
}

absl::Status TlsClientStream::Send(std::string_view app, std::string& wire_out) {
  if (!established_) {
    held_.append(app);
    return absl::OkStatus();
  }
  if (absl::Status status = WritePlain(app); !status.ok()) return status;
  DrainCiphertext(wire_out);
  return absl::OkStatus();
}

absl::Status TlsClientStream::WritePlain(std::string_view app) {
  if (app.empty()) return absl::OkStatus();
  size_t written = 0;
  // A memory BIO never refuses output, so the whole buffer is encrypted in one call.
  if (SSL_write_ex(ssl_, app.data(), app.size(), &written) != 1 || written != app.size()) {
    return Failure("TLS write", 0);
  }
  return absl::OkStatus();
}

void TlsClientStream::DrainCiphertext(std::string& wire_out) {
  const size_t pending = BIO_ctrl_pending(network_out_);
  if (pending == 0) return;
  const size_t old_size = wire_out.size();
  wire_out.resize(old_size + pending);
  const int got = BIO_read(network_out_, wire_out.data() + old_size, static_cast<int>(pending));
  wire_out.resize(old_size + (got > 0 ? static_cast<size_t>(got) : 0));
}

absl::Status TlsClientStream::Failure(std::string_view during, int ssl_result) {
  std::string detail = OpenSslErrors();
  if (!established_ && SSL_get_verify_result(ssl_) != X509_V_OK) {
    detail = absl::StrCat("certificate verification: ", X509_verify_cert_error_string(SSL_get_verify_result(ssl_)),
                          " (", detail, ")");
  }
  return absl::UnavailableError(absl::StrCat(std::string(during), " failed (", SSL_get_error(ssl_, ssl_result), "): ", detail));
}

}  // namespace ringmq::bench
