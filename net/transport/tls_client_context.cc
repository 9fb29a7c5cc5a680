#include "net/transport/tls_client_context.h"

#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"
#include "net/transport/openssl_error.h"

namespace ringmq {

absl::StatusOr<std::shared_ptr<const TlsContext>> LoadTlsClientContext(const std::string& ca_file,
                                                                       const std::string& cert_file,
                                                                       const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return OpenSslError("cannot create a TLS client context");
  auto fail = [ctx](absl::Status status) {
    SSL_CTX_free(ctx);
    return status;
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return fail(OpenSslError(absl::StrCat("cannot load bridge CA file ", ca_file)));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
      return fail(OpenSslError(absl::StrCat("cannot load bridge certificate ", cert_file)));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return fail(OpenSslError(absl::StrCat("cannot load bridge key ", key_file, " (or it does not match ", cert_file, ")")));
    }
  }
  TlsOptions options;
  options.ca_file = ca_file;
  options.cert_file = cert_file;
  options.key_file = key_file;
  return std::make_shared<const TlsContext>(ctx, std::move(options), KernelTlsSupport{},
                                            absl::StrCat("bridge client, CA file ", ca_file));
}

}  // namespace ringmq
