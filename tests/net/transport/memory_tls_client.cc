#include "tests/net/transport/memory_tls_client.h"

#include <openssl/err.h>

#include <array>
#include <cstdio>

namespace ringmq::testing {

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

SslCtxPtr NewClientContext(const std::string& ca_file, const Credential* certificate, int max_version) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr || SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    std::fprintf(stderr, "client context: cannot load %s\n", ca_file.c_str());
    std::abort();
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (certificate != nullptr) {
    SSL_CTX_use_certificate(ctx.get(), certificate->cert.get());
    SSL_CTX_use_PrivateKey(ctx.get(), certificate->key.get());
  }
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  return ctx;
}

MemoryTlsClient::MemoryTlsClient(SSL_CTX* ctx, SSL_SESSION* resume)
    : ssl_(SSL_new(ctx)), from_server_(BIO_new(BIO_s_mem())), to_server_(BIO_new(BIO_s_mem())) {
  SSL_set_bio(ssl_, from_server_, to_server_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  SSL_set1_host(ssl_, "localhost");
  if (resume != nullptr) SSL_set_session(ssl_, resume);
  SSL_set_connect_state(ssl_);
}

MemoryTlsClient::~MemoryTlsClient() { SSL_free(ssl_); }

void MemoryTlsClient::Fail(int error) {
  if (!error_.empty()) return;
  error_ = "error " + std::to_string(error);
  if (unsigned long queued = ERR_peek_last_error(); queued != 0) {
    const char* reason = ERR_reason_error_string(queued);
    if (reason != nullptr) error_ = reason;
  }
  ERR_clear_error();
}

void MemoryTlsClient::Process() {
  ERR_clear_error();
  if (failed()) return;
  if (!handshake_done_) {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      handshake_done_ = true;
    } else if (int error = SSL_get_error(ssl_, result); error != SSL_ERROR_WANT_READ) {
      Fail(error);
      return;
    }
    if (!handshake_done_) return;
  }
  std::array<char, 16384> buffer;
  for (;;) {
    size_t length = 0;
    if (SSL_read_ex(ssl_, buffer.data(), buffer.size(), &length) == 1) {
      received_.append(buffer.data(), length);
      continue;
    }
    const int error = SSL_get_error(ssl_, 0);
    if (error == SSL_ERROR_ZERO_RETURN) peer_closed_ = true;
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_ZERO_RETURN) Fail(error);
    return;
  }
}

void MemoryTlsClient::Write(std::string_view plaintext) {
  ERR_clear_error();
  size_t written = 0;
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) != 1 || written != plaintext.size()) {
    Fail(SSL_get_error(ssl_, 0));
  }
}

void MemoryTlsClient::Shutdown() {
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

void MemoryTlsClient::Feed(std::string_view ciphertext) {
  if (!ciphertext.empty()) BIO_write(from_server_, ciphertext.data(), static_cast<int>(ciphertext.size()));
}

std::string MemoryTlsClient::TakeCiphertext() {
  std::string out(BIO_pending(to_server_), '\0');
  if (!out.empty()) BIO_read(to_server_, out.data(), static_cast<int>(out.size()));
  return out;
}

absl::Status Exchange(MemoryTlsClient& client, StreamTransform& server, std::string& server_up) {
  for (int round = 0; round < 16; ++round) {
    client.Process();
    const std::string to_server = client.TakeCiphertext();
    if (to_server.empty()) return absl::OkStatus();
    std::string down;
    absl::Status status = server.Receive(Bytes(to_server), {server_up, down});
    client.Feed(down);
    if (!status.ok()) {
      client.Process();
      return status;
    }
  }
  return absl::DeadlineExceededError("TLS exchange did not settle in 16 rounds");
}

absl::Status ServerSend(StreamTransform& server, MemoryTlsClient& client, std::string_view plaintext) {
  std::string down;
  absl::Status status = server.Send(Bytes(plaintext), down);
  client.Feed(down);
  client.Process();
  return status;
}

}  // namespace ringmq::testing
