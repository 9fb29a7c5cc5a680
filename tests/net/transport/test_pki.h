// A throwaway public-key infrastructure for TLS tests and benchmarks, made with OpenSSL's APIs in a
// fresh temporary directory: a root CA, an intermediate CA, a server certificate for localhost and
// 127.0.0.1 signed by the intermediate (its file holds the full chain, as operators deploy it), and
// client certificates signed by the root.
// Thread ownership: one test's; not shared.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace ringmq::testing {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

enum class KeyType { kEcdsaP256, kRsa2048 };

struct Credential {
  PkeyPtr key;
  X509Ptr cert;
};

enum class Role { kCa, kServer, kClient };

// A new key of `type` and a certificate for it with subject CN `common_name`, signed by `issuer`
// (self-signed when null). Aborts on failure: tests cannot proceed without it.
Credential IssueCredential(KeyType type, const std::string& common_name, Role role, const Credential* issuer);

class TestPki {
 public:
  explicit TestPki(KeyType type = KeyType::kEcdsaP256);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  std::string root_ca_file() const { return dir_ + "/root-ca.crt"; }
  std::string server_chain_file() const { return dir_ + "/server-chain.crt"; }
  std::string server_key_file() const { return dir_ + "/server.key"; }

  const Credential& root() const { return root_; }
  // A client certificate with subject CN `common_name`, signed by the root CA.
  Credential IssueClient(const std::string& common_name) const;
  // Another server certificate (same names, new key and CN) written to <stem>.crt (full chain) and
  // <stem>.key: the files a certificate renewal would replace.
  void WriteServer(const std::string& common_name, const std::string& chain_path, const std::string& key_path) const;

  // Writes `credential`'s certificate and key to <dir>/<stem>.crt and .key; returns the .crt path.
  std::string WriteCredential(const Credential& credential, const std::string& stem) const;

 private:
  KeyType type_;
  std::string dir_;
  Credential root_;
  Credential intermediate_;
};

}  // namespace ringmq::testing
