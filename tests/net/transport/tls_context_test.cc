#include "net/transport/tls_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

#include "tests/net/transport/test_pki.h"

namespace ringmq {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TestPki;

TlsOptions OptionsFor(const TestPki& pki) {
  TlsOptions options;
  options.cert_file = pki.server_chain_file();
  options.key_file = pki.server_key_file();
  return options;
}

TEST(LoadTlsContext, LoadsAFullChainAndItsKey) {
  TestPki pki;
  absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(OptionsFor(pki));
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_NE((*context)->ssl_ctx(), nullptr);
  EXPECT_EQ((*context)->options().cert_file, pki.server_chain_file());
  EXPECT_THAT((*context)->description(), StartsWith("certificate CN=localhost (EC 256 bits, expires 20"));
  EXPECT_THAT((*context)->description(), HasSubstr(" UTC), TLS 1.2+, client certificates not asked for"));
}

TEST(LoadTlsContext, DescribesTheClientCertificatePolicy) {
  TestPki pki(testing::KeyType::kRsa2048);
  TlsOptions options = OptionsFor(pki);
  options.ca_file = pki.root_ca_file();
  options.min_version = "1.3";
  absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(options);
  ASSERT_TRUE(context.ok());
  EXPECT_THAT((*context)->description(), StartsWith("certificate CN=localhost (RSA 2048 bits, expires "));
  EXPECT_THAT((*context)->description(),
              HasSubstr(", TLS 1.3+, client certificates verified if presented (CA file " + options.ca_file + ")"));
  options.require_client_cert = true;
  EXPECT_THAT((*LoadTlsContext(options))->description(), HasSubstr("client certificates required (CA file "));
}

TEST(LoadTlsContext, LoadsAnRsaChain) {
  TestPki pki(testing::KeyType::kRsa2048);
  absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(OptionsFor(pki));
  EXPECT_TRUE(context.ok()) << context.status();
}

TEST(LoadTlsContext, NamesAMissingCertificateFile) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.cert_file = pki.dir() + "/absent.crt";
  absl::Status status = LoadTlsContext(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("cannot load TLS certificate chain " + options.cert_file + ": "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("No such file or directory"));
}

TEST(LoadTlsContext, NamesAnUnreadableKeyFile) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.key_file = pki.dir() + "/garbage.key";
  std::ofstream(options.key_file) << "not a key\n";
  absl::Status status = LoadTlsContext(options).status();
  EXPECT_THAT(std::string(status.message()), StartsWith("cannot load TLS private key " + options.key_file + ": "));
}

TEST(LoadTlsContext, RefusesAKeyOfAnotherCertificate) {
  TestPki pki;
  TestPki other;
  TlsOptions options = OptionsFor(pki);
  options.key_file = other.server_key_file();
  absl::Status status = LoadTlsContext(options).status();
  EXPECT_THAT(std::string(status.message()), StartsWith("TLS private key " + options.key_file + " does not match certificate " +
                                           options.cert_file));
}

TEST(LoadTlsContext, RefusesAKeyOfAnotherType) {
  TestPki pki;
  TestPki rsa(testing::KeyType::kRsa2048);
  TlsOptions options = OptionsFor(pki);
  options.key_file = rsa.server_key_file();
  absl::Status status = LoadTlsContext(options).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr(" does not match certificate "));
}

TEST(LoadTlsContext, NeedsBothFiles) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.key_file.clear();
  EXPECT_THAT(std::string(LoadTlsContext(options).status().message()), HasSubstr("both a certificate file and a key file"));
}

TEST(LoadTlsContext, AcceptsMinimumVersions12And13Only) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  for (const char* version : {"1.2", "1.3"}) {
    options.min_version = version;
    EXPECT_TRUE(LoadTlsContext(options).ok()) << version;
  }
  for (const char* version : {"1.1", "1.0", "", "TLSv1.3", "1.4"}) {
    options.min_version = version;
    absl::Status status = LoadTlsContext(options).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr("is not supported (use 1.2 or 1.3)")) << version;
  }
}

TEST(LoadTlsContext, PassesCipherListsThroughAndRefusesInvalidOnes) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
  options.ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
  EXPECT_TRUE(LoadTlsContext(options).ok());

  options.ciphers = "NO-SUCH-CIPHER";
  EXPECT_THAT(std::string(LoadTlsContext(options).status().message()),
              StartsWith("invalid TLS 1.2 cipher list \"NO-SUCH-CIPHER\": "));
  options.ciphers.clear();
  options.ciphersuites = "TLS_NO_SUCH_SUITE";
  EXPECT_THAT(std::string(LoadTlsContext(options).status().message()),
              StartsWith("invalid TLS 1.3 ciphersuites \"TLS_NO_SUCH_SUITE\": "));
}

TEST(LoadTlsContext, TakesSessionLifetimesUpToSevenDays) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  EXPECT_EQ(SSL_CTX_get_timeout((*LoadTlsContext(options))->ssl_ctx()), 86400);
  options.session_lifetime_s = 7 * 86400;
  EXPECT_TRUE(LoadTlsContext(options).ok());
  for (const uint32_t lifetime : {0u, 7u * 86400 + 1}) {
    options.session_lifetime_s = lifetime;
    EXPECT_THAT(std::string(LoadTlsContext(options).status().message()),
                HasSubstr("TLS session lifetime " + std::to_string(lifetime) + " s is out of range (1 to 604800)"));
  }
}

TEST(LoadTlsContext, RequiringClientCertificatesNeedsACaFile) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.require_client_cert = true;
  EXPECT_THAT(std::string(LoadTlsContext(options).status().message()), HasSubstr("needs a CA file"));
  options.ca_file = pki.dir() + "/absent-ca.crt";
  EXPECT_THAT(std::string(LoadTlsContext(options).status().message()), StartsWith("cannot load TLS CA file " + options.ca_file));
  options.ca_file = pki.root_ca_file();
  EXPECT_TRUE(LoadTlsContext(options).ok());
}

TEST(LoadTlsContext, TakesTicketKeysFromAFileOf80Bytes) {
  TestPki pki;
  TlsOptions options = OptionsFor(pki);
  options.ticket_key_file = pki.dir() + "/ticket.key";
  EXPECT_EQ(std::string(LoadTlsContext(options).status().message()),
            "cannot read TLS ticket key file " + options.ticket_key_file);
  for (const size_t size : {0, 48, 79, 81}) {
    std::ofstream(options.ticket_key_file, std::ios::binary | std::ios::trunc) << std::string(size, 'k');
    EXPECT_THAT(std::string(LoadTlsContext(options).status().message()),
                StartsWith("TLS ticket key file " + options.ticket_key_file + " must hold exactly 80 bytes"))
        << size;
  }
  const std::string keys(80, 'k');
  std::ofstream(options.ticket_key_file, std::ios::binary | std::ios::trunc) << keys;
  absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(options);
  ASSERT_TRUE(context.ok()) << context.status();
  std::string loaded(80, '\0');
  SSL_CTX_get_tlsext_ticket_keys((*context)->ssl_ctx(), loaded.data(), loaded.size());
  EXPECT_EQ(loaded, keys);
}

TEST(ProbeKernelTls, DescribesWhatTheListenerGets) {
  KernelTlsSupport support = ProbeKernelTls();
  // The answer depends on the kernel; the line must say which and that records stay in user space.
  EXPECT_THAT(support.description,
              StartsWith(support.available ? "kernel TLS available (tcp_available_ulp: "
                                           : "kernel TLS unavailable (tcp_available_ulp: "));
  EXPECT_THAT(support.description, HasSubstr("user-space TLS"));
  TestPki pki;
  absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(OptionsFor(pki));
  ASSERT_TRUE(context.ok());
  EXPECT_EQ((*context)->kernel_tls_available(), support.available);
  EXPECT_EQ((*context)->kernel_tls_description(), support.description);
}

TEST(TlsContextHolder, AFailedReloadKeepsTheCurrentContext) {
  TestPki pki;
  absl::StatusOr<std::shared_ptr<const TlsContext>> initial = LoadTlsContext(OptionsFor(pki));
  ASSERT_TRUE(initial.ok());
  TlsContextHolder holder(*initial);
  std::ofstream(pki.server_key_file(), std::ios::trunc) << "truncated by a careless deploy\n";
  absl::Status status = holder.Reload();
  EXPECT_THAT(std::string(status.message()), StartsWith("cannot load TLS private key " + pki.server_key_file()));
  EXPECT_EQ(holder.Current(), *initial);
}

TEST(TlsContextHolder, AReloadReadsTheFilesAgain) {
  TestPki pki;
  absl::StatusOr<std::shared_ptr<const TlsContext>> initial = LoadTlsContext(OptionsFor(pki));
  ASSERT_TRUE(initial.ok());
  TlsContextHolder holder(*initial);
  pki.WriteServer("renewed", pki.server_chain_file(), pki.server_key_file());
  ASSERT_TRUE(holder.Reload().ok());
  std::shared_ptr<const TlsContext> current = holder.Current();
  EXPECT_NE(current, *initial);
  X509_NAME* subject = X509_get_subject_name(SSL_CTX_get0_certificate(current->ssl_ctx()));
  char common_name[64] = {};
  X509_NAME_get_text_by_NID(subject, NID_commonName, common_name, sizeof(common_name));
  EXPECT_STREQ(common_name, "renewed");
}

}  // namespace
}  // namespace ringmq
