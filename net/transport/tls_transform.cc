#include "net/transport/tls_transform.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/transport/openssl_error.h"

namespace ringmq {
namespace {

// What OpenSSL may read and where it writes during one call into it. OpenSSL sees this through a BIO
// of our own rather than two BIO_s_mem buffers: it reads ciphertext straight from the caller's span
// and appends records straight to the caller's `down` string. That saves a copy each way and, since
// OpenSSL buffers a partial record itself, leaves nothing allocated per connection between calls.
struct BioWindow {
  std::span<const uint8_t> in;
  std::string* out = nullptr;
};

BioWindow& WindowOf(BIO* bio) { return *static_cast<BioWindow*>(BIO_get_data(bio)); }

int WindowWrite(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  BioWindow& window = WindowOf(bio);
  if (window.out == nullptr) return -1;  // OpenSSL wrote outside Receive/Send/Close: a bug, fail loudly
  window.out->append(data, static_cast<size_t>(length));
  return length;
}

int WindowRead(BIO* bio, char* data, int length) {
  BIO_clear_retry_flags(bio);
  BioWindow& window = WindowOf(bio);
  if (window.in.empty()) {
    BIO_set_retry_read(bio);  // not the end of the stream: the rest comes with a later Receive
    return -1;
  }
  const size_t taken = std::min(window.in.size(), static_cast<size_t>(length));
  std::memcpy(data, window.in.data(), taken);
  window.in = window.in.subspan(taken);
  return static_cast<int>(taken);
}

long WindowCtrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // every write is in `out` already
    case BIO_CTRL_PENDING:
      return static_cast<long>(WindowOf(bio).in.size());
    default:
      return 0;
  }
}

int WindowCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Made once per process; OpenSSL keeps a pointer to it in every BIO.
const BIO_METHOD* WindowMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringmq stream window");
    BIO_meth_set_write(m, WindowWrite);
    BIO_meth_set_read(m, WindowRead);
    BIO_meth_set_ctrl(m, WindowCtrl);
    BIO_meth_set_create(m, WindowCreate);
    return m;
  }();
  return method;
}

// The subject CN of a client certificate that passed verification; nullopt without one. A CN holding
// a NUL byte is ignored: it could read as a different, shorter name wherever it meets a C string.
std::optional<std::string> VerifiedClientCommonName(const SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length < 0) return std::nullopt;
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  if (name.find('\0') != std::string::npos) return std::nullopt;
  return name;
}

class TlsTransform final : public StreamTransform {
 public:
  // `client_host`: the client side of a connection to that host (SNI, and the certificate must name
  // it unless `check_host` is false); nullopt: the server side.
  TlsTransform(const TlsContext& context, std::optional<std::string> client_host = std::nullopt,
               bool check_host = true)
      : ssl_(SSL_new(context.ssl_ctx())), client_(client_host.has_value()) {
    if (ssl_ == nullptr) return;
    BIO* bio = BIO_new(WindowMethod());
    if (bio == nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
      return;
    }
    BIO_set_data(bio, &window_);
    SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
    if (!client_) {
      SSL_set_accept_state(ssl_);
      return;
    }
    SSL_set_connect_state(ssl_);
    // SNI names hosts, never addresses (RFC 6066); SSL_set1_host matches an address against the
    // certificate's IP SANs, a name against its DNS SANs.
    in6_addr address;
    const bool literal = inet_pton(AF_INET, client_host->c_str(), &address) == 1 ||
                         inet_pton(AF_INET6, client_host->c_str(), &address) == 1;
    if (!literal) SSL_set_tlsext_host_name(ssl_, client_host->c_str());
    if (check_host) SSL_set1_host(ssl_, client_host->c_str());
  }
  ~TlsTransform() override { SSL_free(ssl_); }
  TlsTransform(const TlsTransform&) = delete;
  TlsTransform& operator=(const TlsTransform&) = delete;

  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    if (absl::Status usable = CheckUsable(); !usable.ok()) return usable;
    OpenWindow window(window_, in, sinks.down);
    if (!established_) {
      if (absl::Status status = Handshake(); !status.ok() || !established_) return status;
    }
    return ReadRecords(in.size(), sinks.up);
  }

  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    if (absl::Status usable = CheckUsable(); !usable.ok()) return usable;
    if (!established_) return absl::FailedPreconditionError("TLS: send before the handshake completed");
    OpenWindow window(window_, {}, down);
    RefreshTicketIfDue();
    // Records are encrypted from the caller's bytes directly. The BIO never refuses a write, so
    // OpenSSL takes everything in one call (cut into records of at most 16 KiB); the loop is a guard.
    size_t done = 0;
    while (done < in.size()) {
      size_t written = 0;
      if (SSL_write_ex(ssl_, in.data() + done, in.size() - done, &written) != 1) {
        return Fail("TLS write failed", SSL_get_error(ssl_, 0));
      }
      done += written;
    }
    return absl::OkStatus();
  }

  void Close(std::string& down) override {
    if (ssl_ == nullptr || failed_ || !established_) return;
    OpenWindow window(window_, {}, down);
    SSL_shutdown(ssl_);  // writes close_notify; the peer's reply is not waited for
    ERR_clear_error();
  }

  bool established() const override { return established_; }
  std::optional<bool> tls_session_resumed() const override {
    if (!established_) return std::nullopt;
    return SSL_session_reused(ssl_) == 1;
  }
  bool peer_closed() const override { return peer_closed_; }
  std::optional<std::string> client_identity() const override { return identity_; }

  // OpenSSL frees its record buffers itself when they empty (SSL_MODE_RELEASE_BUFFERS); this also
  // covers a context made without that mode. It refuses, harmlessly, while a partial record waits.
  void ReleaseIdleBuffers() override {
    if (ssl_ != nullptr) SSL_free_buffers(ssl_);
  }

  std::string_view name() const override { return "tls"; }

 private:
  // Points the BIO at one call's input and output, and away again when the call returns, so that
  // OpenSSL can never touch a span or string the caller has since reused.
  class OpenWindow {
   public:
    OpenWindow(BioWindow& window, std::span<const uint8_t> in, std::string& out) : window_(window) {
      window_.in = in;
      window_.out = &out;
      ERR_clear_error();  // SSL_get_error reads the queue: it must hold only this call's errors
    }
    ~OpenWindow() {
      window_.in = {};
      window_.out = nullptr;
    }
    OpenWindow(const OpenWindow&) = delete;
    OpenWindow& operator=(const OpenWindow&) = delete;

   private:
    BioWindow& window_;
  };

  absl::Status CheckUsable() const {
    if (ssl_ == nullptr) return absl::ResourceExhaustedError("TLS: cannot create a session (out of memory)");
    if (failed_) return absl::FailedPreconditionError("TLS: stream failed earlier");
    return absl::OkStatus();
  }

  absl::Status Handshake() {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      established_ = true;
      if (client_) return absl::OkStatus();  // the server's certificate was verified by the handshake
      identity_ = VerifiedClientCommonName(ssl_);
      ScheduleTicketRefresh();
      return absl::OkStatus();
    }
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ) return absl::OkStatus();
    return Fail("TLS handshake failed", error);
  }

  // A TLS 1.3 connection gets a new session ticket every half lifetime, so that a device connected
  // for longer than a ticket lives still holds one that resumes after a restart. (TLS 1.2 cannot send
  // a ticket after the handshake.) The time is read per Send, which costs a vDSO call.
  void ScheduleTicketRefresh() {
    if (SSL_version(ssl_) != TLS1_3_VERSION) return;
    ticket_refresh_s_ = std::max<int64_t>(1, SSL_CTX_get_timeout(SSL_get_SSL_CTX(ssl_)) / 2);
    next_ticket_at_ = time(nullptr) + ticket_refresh_s_;
  }

  // The ticket goes out ahead of the record the caller is sending.
  void RefreshTicketIfDue() {
    if (ticket_refresh_s_ == 0) return;
    const int64_t now = time(nullptr);
    if (now < next_ticket_at_) return;
    SSL_new_session_ticket(ssl_);
    next_ticket_at_ = now + ticket_refresh_s_;
  }

  // Decrypts every complete record of the input into `up`. Each SSL_read takes at most one record
  // (the buffer holds the largest), and every record but the first read needs at least one new byte
  // of `in`, so the loop ends after in_size + 1 reads at most.
  absl::Status ReadRecords(size_t in_size, std::string& up) {
    std::array<char, 16384> plaintext;
    for (size_t reads = 0; reads <= in_size + 1; ++reads) {
      size_t length = 0;
      if (SSL_read_ex(ssl_, plaintext.data(), plaintext.size(), &length) == 1) {
        up.append(plaintext.data(), length);
        // Input used up and nothing left inside OpenSSL: another read could only say WANT_READ.
        if (window_.in.empty() && SSL_has_pending(ssl_) == 0) return absl::OkStatus();
        continue;
      }
      const int error = SSL_get_error(ssl_, 0);
      if (error == SSL_ERROR_WANT_READ) return absl::OkStatus();
      if (error == SSL_ERROR_ZERO_RETURN) {
        peer_closed_ = true;
        return absl::OkStatus();
      }
      return Fail("TLS failed", error);
    }
    return Fail("TLS failed: records did not end", SSL_ERROR_SSL);
  }

  // The stream is unusable from now on. Any alert OpenSSL wrote is in `down` already.
  absl::Status Fail(absl::string_view what, int error) {
    failed_ = true;
    std::string reason;
    if (error == SSL_ERROR_SSL) {
      reason = TakeOpenSslErrors();
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) absl::StrAppend(&reason, " (", X509_verify_cert_error_string(verify), ")");
    } else {
      reason = absl::StrCat("OpenSSL error ", error);
      ERR_clear_error();
    }
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", reason));
  }

  SSL* ssl_;
  const bool client_;
  BioWindow window_;
  bool established_ = false;
  bool peer_closed_ = false;
  bool failed_ = false;
  int64_t ticket_refresh_s_ = 0;  // 0: no refresh (TLS 1.2)
  int64_t next_ticket_at_ = 0;    // time(2) seconds
  std::optional<std::string> identity_;
};

}  // namespace

std::unique_ptr<StreamTransform> NewTlsTransform(std::shared_ptr<const TlsContext> context) {
  return std::make_unique<TlsTransform>(*context);
}

std::unique_ptr<StreamTransform> NewTlsClientTransform(const TlsContext& context, const std::string& host,
                                                       bool check_host) {
  return std::make_unique<TlsTransform>(context, host, check_host);
}

}  // namespace ringmq
