#include "tests/net/transport/test_pki.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

namespace ringmq::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test PKI: %s failed\n", what);
  std::abort();
}

PkeyPtr NewKey(KeyType type) {
  EVP_PKEY* key = type == KeyType::kEcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (key == nullptr) Die("key generation");
  return PkeyPtr(key);
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr || X509_add_ext(cert, extension, -1) != 1) Die("certificate extension");
  X509_EXTENSION_free(extension);
}

void AddRoleExtensions(X509* cert, X509* issuer, Role role) {
  AddExtension(cert, issuer, NID_subject_key_identifier, "hash");
  switch (role) {
    case Role::kCa:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::kServer:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
      AddExtension(cert, issuer, NID_ext_key_usage, "serverAuth");
      break;
    case Role::kClient:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, issuer, NID_ext_key_usage, "clientAuth");
      break;
  }
}

void WritePem(const std::string& path, X509* const* certs, size_t count, EVP_PKEY* key) {
  BIO* file = BIO_new_file(path.c_str(), "w");
  if (file == nullptr) Die("opening a PEM file");
  for (size_t i = 0; i < count; ++i) {
    if (PEM_write_bio_X509(file, certs[i]) != 1) Die("writing a certificate");
  }
  if (key != nullptr && PEM_write_bio_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("writing a key");
  }
  BIO_free(file);
}

}  // namespace

Credential IssueCredential(KeyType type, const std::string& common_name, Role role, const Credential* issuer) {
  static std::atomic<long> serial{1};
  Credential made{NewKey(type), X509Ptr(X509_new())};
  X509* cert = made.cert.get();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 86400);
  X509_set_pubkey(cert, made.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  const Credential& signer = issuer != nullptr ? *issuer : made;
  X509_set_issuer_name(cert, X509_get_subject_name(signer.cert.get()));
  AddRoleExtensions(cert, signer.cert.get(), role);
  if (X509_sign(cert, signer.key.get(), EVP_sha256()) == 0) Die("signing a certificate");
  return made;
}

TestPki::TestPki(KeyType type) : type_(type) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ringmq-tls-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
  dir_ = pattern;
  root_ = IssueCredential(type, "ringmq test root CA", Role::kCa, nullptr);
  intermediate_ = IssueCredential(type, "ringmq test intermediate CA", Role::kCa, &root_);
  X509* root_cert = root_.cert.get();
  WritePem(root_ca_file(), &root_cert, 1, nullptr);
  WriteServer("localhost", server_chain_file(), server_key_file());
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

Credential TestPki::IssueClient(const std::string& common_name) const {
  return IssueCredential(type_, common_name, Role::kClient, &root_);
}

void TestPki::WriteServer(const std::string& common_name, const std::string& chain_path,
                          const std::string& key_path) const {
  Credential server = IssueCredential(type_, common_name, Role::kServer, &intermediate_);
  X509* chain[] = {server.cert.get(), intermediate_.cert.get()};
  WritePem(chain_path, chain, 2, nullptr);
  WritePem(key_path, nullptr, 0, server.key.get());
}

std::string TestPki::WriteCredential(const Credential& credential, const std::string& stem) const {
  X509* cert = credential.cert.get();
  WritePem(dir_ + "/" + stem + ".crt", &cert, 1, nullptr);
  WritePem(dir_ + "/" + stem + ".key", nullptr, 0, credential.key.get());
  return dir_ + "/" + stem + ".crt";
}

}  // namespace ringmq::testing
